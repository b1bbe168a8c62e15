package sqldb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

// TestPasswordChangeEndsSessionsStore: a password change, an unlinked
// identity and EndSessions end every other session of the user (and only
// the user's), in the same transaction as the change, on every engine.
func TestPasswordChangeEndsSessionsStore(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]opener{"sqlite": openSQLiteForTest, "postgres": openPostgresForTest} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testEndSessions(t, setup(t, open))
		})
	}
}

func testEndSessions(t *testing.T, f fixture) {
	ctx := context.Background()
	a, other := mustUser(t, f, "a@example.org"), mustUser(t, f, "other@example.org")
	start := func(u *gas.User, ua string) string {
		t.Helper()
		tok, err := f.db.CreateSession(ctx, u.ID, f.clock.Now().Add(time.Hour), gas.SessionClient{UserAgent: ua, Address: "198.51.100.4"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	live := func(tok string) bool {
		t.Helper()
		_, err := f.db.SessionUser(ctx, tok)
		if err != nil && gas.ErrorCode(err) != gas.EUNAUTH {
			t.Fatal(err)
		}
		return err == nil
	}

	// The list: newest use first, the current one marked, nothing secret.
	here, laptop := start(a, "Firefox/140"), start(a, "Safari/19")
	f.clock.Add(2 * time.Minute)
	if !live(here) { // records its use
		t.Fatal("fresh session not live")
	}
	list, err := f.db.ListSessions(ctx, a.ID, here)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !list[0].Current || list[1].Current || list[0].Client.UserAgent != "Firefox/140" ||
		list[0].Client.Address != "198.51.100.4" || !list[0].LastSeenAt.After(list[1].LastSeenAt) || list[0].ID == list[1].ID {
		t.Fatalf("ListSessions = %+v", list)
	}
	for _, s := range list {
		if strings.Contains(here, s.ID) || strings.Contains(laptop, s.ID) || len(s.ID) != 16 {
			t.Fatalf("session ID %q reveals the token or has the wrong length", s.ID)
		}
	}

	// Password change: this session stays, the user's others end, other
	// users' sessions are untouched.
	stranger := start(other, "curl")
	if err := f.db.SetPassword(ctx, a.ID, "$argon2id$new", here); err != nil {
		t.Fatal(err)
	}
	if !live(here) || live(laptop) || !live(stranger) {
		t.Fatalf("after the password change: here %v, laptop %v, other user %v; want true, false, true",
			live(here), live(laptop), live(stranger))
	}
	// A failed change ends nothing: the transaction rolls back whole.
	phone := start(a, "Mobile")
	if err := f.db.SetPassword(ctx, 999_999, "$argon2id$x", ""); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing user: %v", err)
	}
	if !live(phone) {
		t.Fatal("a failed password change ended a session")
	}

	// Unlinking an identity: the last way to sign in is refused, and
	// ends nothing; with a password left it goes and the others end.
	oidcOnly := &gas.User{Email: "oidc@example.org"}
	if err := f.db.CreateUser(ctx, oidcOnly); err != nil {
		t.Fatal(err)
	}
	id := gas.Identity{Issuer: "https://idp.example", Subject: "s-1", Email: oidcOnly.Email}
	if err := f.db.LinkIdentity(ctx, oidcOnly.ID, id); err != nil {
		t.Fatal(err)
	}
	o1, o2 := start(oidcOnly, "one"), start(oidcOnly, "two")
	if err := f.db.UnlinkIdentity(ctx, oidcOnly.ID, id.Issuer, id.Subject, o1); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("unlinking the only sign-in: %v, want conflict", err)
	}
	if !live(o2) {
		t.Fatal("a refused unlink ended a session")
	}
	if err := f.db.UnlinkIdentity(ctx, a.ID, id.Issuer, id.Subject, here); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("unlinking another account's identity: %v, want not found", err)
	}
	if err := f.db.LinkIdentity(ctx, a.ID, gas.Identity{Issuer: "https://idp.example", Subject: "a-1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.UnlinkIdentity(ctx, a.ID, "https://idp.example", "a-1", here); err != nil {
		t.Fatal(err)
	}
	if !live(here) || live(phone) {
		t.Fatalf("after unlinking: here %v, phone %v; want true, false", live(here), live(phone))
	}
	if ids, err := f.db.UserIdentities(ctx, a.ID); err != nil || len(ids) != 0 {
		t.Fatalf("identities after unlinking: %v, %v", ids, err)
	}

	// One session ended by its listed ID; IDs of other users' sessions,
	// malformed ones and ended ones are not found.
	spare := start(a, "spare")
	list, err = f.db.ListSessions(ctx, a.ID, here)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSessions = %v, %v", list, err)
	}
	spareID := list[0].ID
	if list[0].Current {
		spareID = list[1].ID
	}
	strangerList, _ := f.db.ListSessions(ctx, other.ID, stranger)
	for _, bad := range []string{strangerList[0].ID, "not-an-id", "%", spareID[:15] + "%"} {
		if err := f.db.EndSession(ctx, a.ID, bad); gas.ErrorCode(err) != gas.ENOTFOUND {
			t.Fatalf("EndSession(%q) = %v, want not found", bad, err)
		}
	}
	if err := f.db.EndSession(ctx, a.ID, spareID); err != nil {
		t.Fatal(err)
	}
	if live(spare) || !live(here) || !live(stranger) {
		t.Fatal("EndSession ended the wrong session")
	}
	if err := f.db.EndSession(ctx, a.ID, spareID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("ending it again: %v, want not found", err)
	}

	// Sign out everywhere, this session included.
	start(a, "tablet")
	if n, err := f.db.EndSessions(ctx, a.ID, ""); err != nil || n != 2 {
		t.Fatalf("EndSessions = %d, %v; want 2", n, err)
	}
	if live(here) || !live(stranger) {
		t.Fatal("EndSessions missed this session or ended another user's")
	}
	if list, err := f.db.ListSessions(ctx, a.ID, ""); err != nil || len(list) != 0 {
		t.Fatalf("sessions after signing out everywhere: %v, %v", list, err)
	}
}

func TestSessionClientClipped(t *testing.T) {
	t.Parallel()
	f := setup(t, openSQLiteForTest)
	ctx := context.Background()
	u := mustUser(t, f, "clip@example.org")
	ua := strings.Repeat("é", 200) + "\x00\n"
	tok, err := f.db.CreateSession(ctx, u.ID, f.clock.Now().Add(time.Hour), gas.SessionClient{UserAgent: ua, Address: strings.Repeat("1", 100)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.db.ListSessions(ctx, u.ID, tok)
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	got := list[0].Client
	if len(got.UserAgent) != 256 || got.UserAgent != strings.Repeat("é", 128) || len(got.Address) != 64 {
		t.Fatalf("kept %d bytes of user agent (%q…) and %d of address", len(got.UserAgent), got.UserAgent[:10], len(got.Address))
	}
}

func TestSessionListBounded(t *testing.T) {
	t.Parallel()
	f := setup(t, openSQLiteForTest)
	ctx := context.Background()
	u := mustUser(t, f, "many@example.org")
	for i := 0; i < MaxListedSessions+5; i++ {
		if _, err := f.db.CreateSession(ctx, u.ID, f.clock.Now().Add(time.Hour), gas.SessionClient{}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.db.ListSessions(ctx, u.ID, "")
	if err != nil || len(list) != MaxListedSessions {
		t.Fatalf("listed %d sessions (%v), want %d", len(list), err, MaxListedSessions)
	}
	if n, err := f.db.EndSessions(ctx, u.ID, ""); err != nil || n != MaxListedSessions+5 {
		t.Fatalf("EndSessions = %d, %v; want every one", n, err)
	}
}
