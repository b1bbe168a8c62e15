package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
)

// Biller starts a Premium subscription (billing.Service implements it).
type Biller interface {
	// Checkout returns the payment page to send the user to; ECONFLICT
	// for a user already on Premium.
	Checkout(ctx context.Context, u *gas.User) (string, error)
}

// subscribeView is the model of the plans page and of Checkout's return.
type subscribeView struct {
	base
	FreeLimit, PremiumLimit int64
	Retention               string // "5 minutes"; empty when not configured
	Billing                 bool
	Plan                    gas.Plan // the signed-in user's, read fresh; empty when signed out
}

func (s *server) subscribeData(r *http.Request) (subscribeView, error) {
	v := subscribeView{base: s.baseFor(r, "Plans"), FreeLimit: s.cfg.FreeUploadLimit, PremiumLimit: s.cfg.PremiumUploadLimit,
		Retention: humanDuration(s.cfg.FreeRetention), Billing: s.d.Billing != nil}
	if u := currentUser(r.Context()); u != nil {
		// The webhook may have changed the plan since the session was read.
		acc, err := s.d.Users.UserByID(r.Context(), u.ID)
		if err != nil {
			return v, err
		}
		v.Plan = acc.Plan
	}
	return v, nil
}

// subscribePage shows both plans and their limits to anyone; a signed-in
// Free user also gets the upgrade button when Stripe is configured.
func (s *server) subscribePage(w http.ResponseWriter, r *http.Request) {
	v, err := s.subscribeData(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "subscribe", v)
}

// subscribe sends the user to Stripe Checkout. Coming back proves nothing:
// the plan changes only when Stripe's signed webhook arrives.
func (s *server) subscribe(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Billing == nil {
		s.renderErrorView(w, r, errorView{Status: http.StatusNotFound, Back: "/subscribe", BackLabel: "Back to the plans",
			Message: "Billing is not configured on this server; an administrator can change your plan."})
		return
	}
	acc, err := s.d.Users.UserByID(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	url, err := s.d.Billing.Checkout(r.Context(), acc)
	if err != nil {
		if st := gas.ErrorCode(err); st == gas.EUNAVAILABLE || st == gas.ECONFLICT {
			s.logger.WarnContext(r.Context(), "checkout", "user_id", u.ID, "err", err)
			s.renderErrorView(w, r, errorView{Status: httpserver.StatusFor(err), Message: gas.ErrorMessage(err),
				Back: "/subscribe", BackLabel: "Back to the plans"})
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// subscribeSuccess is where Checkout returns to. It shows the plan as the
// database has it: Premium once the webhook was applied, Free until then.
func (s *server) subscribeSuccess(w http.ResponseWriter, r *http.Request, u *gas.User) {
	v, err := s.subscribeData(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Title = "Thank you"
	s.render(w, r, http.StatusOK, "subscribed", v)
}

// humanDuration writes a retention as people say it: "5 minutes",
// "7 days", "1 hour 30 minutes". Zero is empty.
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	units := []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	var parts []string
	for _, u := range units {
		if n := d / u.d; n > 0 {
			p := strconv.FormatInt(int64(n), 10) + " " + u.name
			if n != 1 {
				p += "s"
			}
			parts = append(parts, p)
			d -= n * u.d
		}
	}
	if len(parts) == 0 {
		return d.String()
	}
	return strings.Join(parts, " ")
}
