package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gas-project/gas"
)

// GlobusIssuer is the issuer of Globus Auth, the sign-in of the original
// service and the preset behind GAS_OIDC_PROVIDER=globus.
const GlobusIssuer = "https://auth.globus.org"

// OIDCConfig configures sign-in through one OpenID Connect provider.
type OIDCConfig struct {
	// Name is shown on the sign-in button ("Sign in with Globus").
	Name string
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration" on first use.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this site's callback, e.g. https://gas.example.org/auth/oidc/callback;
	// it must be registered with the provider.
	RedirectURL string
	// Scopes default to openid, email and profile.
	Scopes []string
	// HTTPClient talks to the provider; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
}

// OIDC runs the authorization code flow with PKCE, state and nonce against
// one provider, using go-oidc for discovery and ID-token verification and
// x/oauth2 for the code exchange. Discovery happens lazily (and again after
// a failure), so a provider that is down at start-up does not keep the site
// from starting; local accounts keep working meanwhile.
type OIDC struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC checks the configuration; it does not contact the provider.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("auth: oidc: issuer, client ID and redirect URL are required")
	}
	for _, s := range []string{cfg.Issuer, cfg.RedirectURL} {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("auth: oidc: %q is not an http(s) URL", s)
		}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Name == "" {
		if u, err := url.Parse(cfg.Issuer); err == nil {
			cfg.Name = u.Host
		}
	}
	return &OIDC{cfg: cfg}, nil
}

// Name is the provider's display name.
func (o *OIDC) Name() string { return o.cfg.Name }

func (o *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.cfg.HTTPClient)
}

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	// The provider keeps this context for fetching signing keys later, so
	// it must not be the request's.
	p, err := oidc.NewProvider(o.ctx(context.WithoutCancel(ctx)), o.cfg.Issuer)
	if err != nil {
		return nil, &gas.Error{Code: gas.EUNAVAILABLE, Err: fmt.Errorf("auth: oidc discovery: %w", err),
			Message: fmt.Sprintf("Sign-in with %s is unavailable right now. Please try again later.", o.cfg.Name)}
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: o.cfg.Scopes,
	}
}

// Start begins a sign-in: it returns the provider URL to send the browser
// to, the state that must come back with it (to be kept in the browser, as a
// cookie) and the flow to remember server-side under that state.
func (o *OIDC) Start(ctx context.Context) (authURL, state string, flow gas.LoginFlow, err error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", "", flow, err
	}
	state, err = randomString()
	if err != nil {
		return "", "", flow, err
	}
	nonce, err := randomString()
	if err != nil {
		return "", "", flow, err
	}
	flow = gas.LoginFlow{Nonce: nonce, Verifier: oauth2.GenerateVerifier()}
	authURL = o.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(flow.Verifier))
	return authURL, state, flow, nil
}

// claims are the ID-token claims GAS reads. Globus Auth names the
// institution "organization".
type claims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // a bool, or "true" from some providers
	Name          string `json:"name"`
	Organization  string `json:"organization"`
	Institution   string `json:"institution"`
}

// Finish completes a sign-in: it exchanges the code (with the PKCE
// verifier), verifies the ID token (signature, issuer, audience, expiry) and
// that its nonce is the flow's, and returns the identity it describes. Every
// failure is EUNAUTH with a message for the user; the cause is wrapped.
func (o *OIDC) Finish(ctx context.Context, code string, flow gas.LoginFlow) (gas.Identity, error) {
	fail := func(msg string, err error) (gas.Identity, error) {
		return gas.Identity{}, &gas.Error{Code: gas.EUNAUTH, Message: msg, Err: err}
	}
	if code == "" {
		return fail("The sign-in did not complete. Please try again.", errors.New("no code in callback"))
	}
	p, err := o.discover(ctx)
	if err != nil {
		return gas.Identity{}, err
	}
	tok, err := o.oauth2(p).Exchange(o.ctx(ctx), code, oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		return fail("The sign-in could not be confirmed with "+o.cfg.Name+". Please try again.", fmt.Errorf("code exchange: %w", err))
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return fail("The sign-in could not be confirmed with "+o.cfg.Name+".", errors.New("token response has no id_token"))
	}
	idt, err := p.VerifierContext(o.ctx(ctx), &oidc.Config{ClientID: o.cfg.ClientID, Now: o.cfg.Now}).Verify(o.ctx(ctx), raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return fail("The sign-in expired. Please sign in again.", err)
		}
		return fail("The sign-in could not be verified. Please try again.", fmt.Errorf("verify id token: %w", err))
	}
	if idt.Nonce != flow.Nonce {
		// A token minted for another login (replayed or injected).
		return fail("The sign-in could not be verified. Please try again.", errors.New("id token nonce does not match the login"))
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return fail("The sign-in could not be verified.", fmt.Errorf("decode claims: %w", err))
	}
	inst := c.Institution
	if inst == "" {
		inst = c.Organization
	}
	verified := false
	switch v := c.EmailVerified.(type) {
	case bool:
		verified = v
	case string:
		verified = strings.EqualFold(v, "true")
	}
	return gas.Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: strings.TrimSpace(c.Email), EmailVerified: verified,
		Name: strings.TrimSpace(c.Name), Institution: strings.TrimSpace(inst)}, nil
}

// randomString is 32 random bytes in URL-safe base64: unguessable state and
// nonce values.
func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
