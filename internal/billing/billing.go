// Package billing turns a Free user into a Premium one through Stripe:
// Checkout for the subscription, and signed webhooks for what happened to
// it. The plan changes only when a webhook says so (a redirect back from
// Checkout proves nothing), each event is applied at most once and never
// over a newer one, and the plan change runs in the same transaction as the
// lifecycle work it causes (restoring archived results).
package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/gas-project/gas"
)

// Store is what billing needs from the database (sqldb.DB has it).
type Store interface {
	ApplyBillingEvent(ctx context.Context, e gas.BillingEvent) (string, error)
	StripeCustomer(ctx context.Context, userID int64) (string, error)
	SetStripeCustomer(ctx context.Context, userID int64, customerID string) error
}

// Config configures Stripe.
type Config struct {
	SecretKey     string // sk_live_… / sk_test_…
	WebhookSecret string // whsec_…, from the webhook endpoint's settings
	PriceID       string // the recurring Price of Premium
	// BaseURL is the site's public URL, for Checkout's return links.
	BaseURL string
	// APIURL replaces Stripe's API (stripe-mock in tests); empty is Stripe.
	APIURL     string
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Tolerance is how far a webhook's signed timestamp may be from now,
	// either way; zero means Stripe's default, 5 minutes.
	Tolerance time.Duration
	// Now is the clock webhook timestamps are checked against; nil means
	// time.Now.
	Now func() time.Time
}

// Service creates Checkout sessions and applies webhook events.
type Service struct {
	cfg   Config
	sc    *stripe.Client
	store Store
	log   *slog.Logger
}

// New checks the configuration; it does not call Stripe.
func New(cfg Config, store Store) (*Service, error) {
	if cfg.SecretKey == "" || cfg.WebhookSecret == "" || cfg.PriceID == "" || cfg.BaseURL == "" {
		return nil, errors.New("billing: secret key, webhook secret, price ID and base URL are required")
	}
	if store == nil {
		return nil, errors.New("billing: a store is required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = webhook.DefaultTolerance
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	bc := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}
	if cfg.APIURL != "" {
		bc.URL = stripe.String(cfg.APIURL)
	}
	sc := stripe.NewClient(cfg.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
	return &Service{cfg: cfg, sc: sc, store: store, log: cfg.Logger}, nil
}

// Checkout starts a Premium subscription for u and returns the Stripe
// Checkout page to send the browser to. The user's Stripe customer is made
// once and reused, so webhook events about it find the user.
func (s *Service) Checkout(ctx context.Context, u *gas.User) (string, error) {
	if u.Plan == gas.PlanPremium {
		return "", gas.Errorf(gas.ECONFLICT, "You are already on Premium.")
	}
	cust, err := s.store.StripeCustomer(ctx, u.ID)
	if err != nil {
		return "", err
	}
	if cust == "" {
		c, err := s.sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			Email:    stripe.String(u.Email),
			Name:     stripe.String(u.Name),
			Metadata: map[string]string{"gas_user_id": strconv.FormatInt(u.ID, 10)},
		})
		if err != nil {
			return "", unavailable("create customer", err)
		}
		if err := s.store.SetStripeCustomer(ctx, u.ID, c.ID); err != nil {
			return "", err
		}
		cust = c.ID
	}
	cs, err := s.sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:          stripe.String(cust),
		ClientReferenceID: stripe.String(strconv.FormatInt(u.ID, 10)),
		LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(s.cfg.PriceID), Quantity: stripe.Int64(1)}},
		SuccessURL:        stripe.String(s.cfg.BaseURL + "/subscribe/success?session_id={CHECKOUT_SESSION_ID}"),
		CancelURL:         stripe.String(s.cfg.BaseURL + "/subscribe"),
	})
	if err != nil {
		return "", unavailable("create checkout session", err)
	}
	if cs.URL == "" {
		return "", unavailable("create checkout session", errors.New("no URL in the session"))
	}
	return cs.URL, nil
}

func unavailable(op string, err error) error {
	return &gas.Error{Code: gas.EUNAVAILABLE, Message: "Payment is unavailable right now. Please try again later.",
		Err: fmt.Errorf("billing: %s: %w", op, err)}
}

// maxWebhookBytes bounds a webhook body; Stripe's events are a few kB.
const maxWebhookBytes = 256 << 10

// Webhook answers Stripe's POSTs: 400 for a body that is not a correctly
// signed, recent event (nothing is applied), 500 when the database fails
// (Stripe retries), 200 otherwise — also for duplicates, stale and ignored
// events, which need no retry.
func (s *Service) Webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
		if err != nil {
			http.Error(w, "body too large or unreadable", http.StatusBadRequest)
			return
		}
		ev, err := s.Parse(payload, r.Header.Get("Stripe-Signature"))
		if err != nil {
			s.log.Warn("billing: refused webhook", "err", err)
			http.Error(w, gas.ErrorMessage(err), http.StatusBadRequest)
			return
		}
		if ev == nil {
			w.WriteHeader(http.StatusOK) // an event type we do not act on
			return
		}
		outcome, err := s.store.ApplyBillingEvent(r.Context(), *ev)
		if err != nil {
			s.log.Error("billing: apply webhook event", "event", ev.ID, "type", ev.Type, "err", err)
			http.Error(w, "could not record the event", http.StatusInternalServerError)
			return
		}
		if outcome == gas.BillingConflict {
			// Recorded, and answered 200: a retry would meet the same
			// conflict. It needs a person (docs/deploy.md, "Stripe").
			s.log.Error("billing: webhook event names a Stripe customer that belongs to another account; not applied",
				"event", ev.ID, "type", ev.Type, "customer", ev.CustomerID, "user", ev.UserID)
		}
		s.log.Info("billing: webhook event", "event", ev.ID, "type", ev.Type, "outcome", outcome, "plan", ev.Plan, "status", ev.Status)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"outcome": outcome})
	})
}

// Parse verifies the Stripe-Signature of payload (HMAC with the webhook
// secret, signed timestamp within the tolerance of now, before or after)
// and reduces the event to a gas.BillingEvent; nil for event types that do
// not concern plans.
func (s *Service) Parse(payload []byte, signature string) (*gas.BillingEvent, error) {
	invalid := func(err error) error {
		return &gas.Error{Code: gas.EINVALID, Message: "invalid webhook signature", Err: err}
	}
	// stripe-go refuses only timestamps too far in the past: one in the
	// future passes, and a signature made ahead of time (a leaked secret,
	// a wrong clock) would stay good until that time plus the tolerance.
	// The timestamp is checked here both ways on our clock, and the
	// library checks the signature over it.
	ts, err := signedTime(signature)
	if err != nil {
		return nil, invalid(err)
	}
	if d := s.cfg.Now().Sub(ts); d > s.cfg.Tolerance || d < -s.cfg.Tolerance {
		return nil, invalid(fmt.Errorf("signed at %s, %s from now; the tolerance is %s", ts.UTC().Format(time.RFC3339), d.Round(time.Second), s.cfg.Tolerance))
	}
	// The API version of events is the account's, not necessarily the
	// library's; the few fields read here are stable across versions.
	e, err := webhook.ConstructEventWithOptions(payload, signature, s.cfg.WebhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true, IgnoreTolerance: true})
	if err != nil {
		return nil, invalid(err)
	}
	return reduce(e)
}

// signedTime reads the t= timestamp of a Stripe-Signature header
// ("t=1495999758,v1=…"), split as stripe-go splits it. A header with more
// than one is refused: the library signs over the last, and a check of
// another could be fooled by a stale signature with a fresh t= in front.
func signedTime(header string) (time.Time, error) {
	var ts time.Time
	n := 0
	for _, pair := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("timestamp %q is not a number", v)
		}
		ts, n = time.Unix(sec, 0), n+1
	}
	switch n {
	case 0:
		return time.Time{}, errors.New("no timestamp in the Stripe-Signature header")
	case 1:
		return ts, nil
	default:
		return time.Time{}, errors.New("more than one timestamp in the Stripe-Signature header")
	}
}

// reduce maps the events that decide a plan:
//   - checkout.session.completed (paid): Premium, and the user's customer ID;
//   - customer.subscription.created/updated: Premium while the subscription
//     is active, trialing or past due (Stripe is still retrying payment);
//     Free once it is canceled, unpaid, paused or expired. A subscription set
//     to cancel at period end stays active, so Premium lasts until then;
//   - customer.subscription.deleted (at period end, or at once): Free.
func reduce(e stripe.Event) (*gas.BillingEvent, error) {
	ev := &gas.BillingEvent{ID: e.ID, Type: string(e.Type), Created: time.Unix(e.Created, 0).UTC()}
	bad := func(err error) (*gas.BillingEvent, error) {
		return nil, &gas.Error{Code: gas.EINVALID, Message: "malformed event", Err: fmt.Errorf("event %s: %w", e.ID, err)}
	}
	if e.Data == nil {
		return bad(errors.New("no data"))
	}
	switch e.Type {
	case "checkout.session.completed":
		var cs stripe.CheckoutSession
		if err := json.Unmarshal(e.Data.Raw, &cs); err != nil {
			return bad(err)
		}
		if cs.Mode != stripe.CheckoutSessionModeSubscription || cs.PaymentStatus == stripe.CheckoutSessionPaymentStatusUnpaid {
			return nil, nil
		}
		uid, err := strconv.ParseInt(cs.ClientReferenceID, 10, 64)
		if err != nil || uid <= 0 {
			return bad(fmt.Errorf("client_reference_id %q is not a user ID", cs.ClientReferenceID))
		}
		ev.UserID, ev.Status, ev.Plan = uid, "active", gas.PlanPremium
		if cs.Customer != nil {
			ev.CustomerID = cs.Customer.ID
		}
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := json.Unmarshal(e.Data.Raw, &sub); err != nil {
			return bad(err)
		}
		if sub.Customer == nil || sub.Customer.ID == "" {
			return bad(errors.New("subscription without customer"))
		}
		ev.CustomerID, ev.Status = sub.Customer.ID, string(sub.Status)
		if sub.Items != nil && len(sub.Items.Data) > 0 && sub.Items.Data[0].CurrentPeriodEnd > 0 {
			ev.PeriodEnd = time.Unix(sub.Items.Data[0].CurrentPeriodEnd, 0).UTC()
		}
		switch {
		case e.Type == "customer.subscription.deleted":
			ev.Plan = gas.PlanFree
		case sub.Status == stripe.SubscriptionStatusActive || sub.Status == stripe.SubscriptionStatusTrialing ||
			sub.Status == stripe.SubscriptionStatusPastDue:
			ev.Plan = gas.PlanPremium
		case sub.Status == stripe.SubscriptionStatusCanceled || sub.Status == stripe.SubscriptionStatusUnpaid ||
			sub.Status == stripe.SubscriptionStatusIncompleteExpired || sub.Status == stripe.SubscriptionStatusPaused:
			ev.Plan = gas.PlanFree
		default:
			// incomplete: the first payment is pending; the plan waits.
		}
	default:
		return nil, nil
	}
	return ev, nil
}
