package sqldb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestTokensSQLite(t *testing.T) {
	t.Parallel()
	runTokenSuite(t, openSQLiteForTest)
}

func TestTokensPostgres(t *testing.T) {
	t.Parallel()
	runTokenSuite(t, openPostgresForTest)
}

func runTokenSuite(t *testing.T, open opener) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	db := open(t, Options{Now: clk.Now})
	a, b := &gas.User{Email: "a@example.org"}, &gas.User{Email: "b@example.org"}
	for _, u := range []*gas.User{a, b} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	secret, tok, err := db.CreateToken(ctx, a.ID, "laptop", []string{gas.ScopeJobsRead, gas.ScopeJobsRead}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "gas_") || len(secret) < 40 || !strings.HasPrefix(secret, tok.Prefix) || len(tok.Scopes) != 1 {
		t.Fatalf("secret %q, token %+v", secret, tok)
	}
	var stored int
	if err := db.SQL().QueryRow(db.q(`SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?`), secret).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the secret itself is stored (%d, %v)", stored, err)
	}
	u, got, err := db.TokenUser(ctx, secret)
	if err != nil || u.ID != a.ID || !got.HasScope(gas.ScopeJobsRead) || got.HasScope(gas.ScopeJobsWrite) || got.LastUsedAt.IsZero() {
		t.Fatalf("TokenUser = %v %+v %v", u, got, err)
	}
	for _, bad := range []string{"", "gas_", secret + "x", strings.ToUpper(secret), "Bearer " + secret} {
		if _, _, err := db.TokenUser(ctx, bad); gas.ErrorCode(err) != gas.EUNAUTH {
			t.Errorf("TokenUser(%q) = %v, want unauthorized", bad, err)
		}
	}
	if err := db.RevokeToken(ctx, b.ID, tok.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("another user revoked the token: %v", err)
	}
	if err := db.RevokeToken(ctx, a.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.TokenUser(ctx, secret); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("revoked token still works: %v", err)
	}
	short, _, err := db.CreateToken(ctx, a.ID, "ci", []string{gas.ScopeJobsWrite}, clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	if _, _, err := db.TokenUser(ctx, short); gas.ErrorCode(err) != gas.EUNAUTH {
		t.Fatalf("expired token still works: %v", err)
	}
	list, err := db.ListTokens(ctx, a.ID)
	if err != nil || len(list) != 2 || list[0].Name != "ci" || list[1].RevokedAt.IsZero() {
		t.Fatalf("list = %+v, %v", list, err)
	}
	for _, tc := range []struct {
		name   string
		scopes []string
	}{{"", []string{gas.ScopeJobsRead}}, {"x", nil}, {"x", []string{"admin"}}} {
		if _, _, err := db.CreateToken(ctx, a.ID, tc.name, tc.scopes, time.Time{}); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("CreateToken(%q, %v) = %v, want invalid", tc.name, tc.scopes, err)
		}
	}
}
