package billing_test

import (
	"crypto/hmac"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/gas-project/gas/internal/billing"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// FuzzStripeSignature: no body and Stripe-Signature header make Parse
// panic, and Parse accepts only a header with exactly one timestamp within
// the tolerance and a v1 signature of that timestamp and body under the
// webhook secret.
func FuzzStripeSignature(f *testing.F) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	good := checkoutCompleted("evt_f", now, 7, "cus_f")
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: good, Secret: secret, Timestamp: now})
	f.Add(good, sp.Header)
	f.Add(good, "t="+strconv.FormatInt(now.Unix(), 10)+","+sp.Header)
	f.Add(good, strings.Replace(sp.Header, "v1=", "v0=", 1))
	f.Add([]byte(`{}`), "t=,v1=")
	f.Add([]byte(`{"id":"evt_x","type":"checkout.session.completed"}`), "t=99999999999999999999,v1=00")
	svc, err := billing.New(billing.Config{SecretKey: "sk_test_123", WebhookSecret: secret, PriceID: "price_premium",
		BaseURL: "http://127.0.0.1:1", APIURL: "http://127.0.0.1:1", Now: func() time.Time { return now }},
		sqldbtest.SQLite(f, sqldb.Options{}))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte, header string) {
		if _, err := svc.Parse(payload, header); err != nil {
			return
		}
		var stamps []string
		var sigs [][]byte
		for _, pair := range strings.Split(header, ",") {
			k, v, _ := strings.Cut(pair, "=")
			switch k {
			case "t":
				stamps = append(stamps, v)
			case "v1":
				if b, err := hex.DecodeString(v); err == nil {
					sigs = append(sigs, b)
				}
			}
		}
		if len(stamps) != 1 {
			t.Fatalf("accepted a header with %d timestamps: %q", len(stamps), header)
		}
		sec, err := strconv.ParseInt(stamps[0], 10, 64)
		if err != nil || time.Unix(sec, 0).Sub(now).Abs() > webhook.DefaultTolerance {
			t.Fatalf("accepted timestamp %q outside the tolerance", stamps[0])
		}
		want := webhook.ComputeSignature(time.Unix(sec, 0), payload, secret)
		for _, s := range sigs {
			if hmac.Equal(s, want) {
				return
			}
		}
		t.Fatalf("accepted a header without a valid v1 signature: %q", header)
	})
}
