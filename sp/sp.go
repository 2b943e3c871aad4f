package sp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
)

// SP is a configured SAML service provider. It is safe for concurrent use.
type SP struct {
	cfg    Config
	skew   time.Duration
	delay  time.Duration
	login  time.Duration
	limits Limits
	now    func() time.Time
	replay ReplayCache
	// decryptKeys are Key followed by DecryptionKeys, without nils.
	decryptKeys []*certs.KeyPair
	// observeGate, set only by tests, sees every decrypted plaintext as the gate gets it.
	observeGate func(plain []byte)
	// live, for an SP made by a Refreshing, sends ValidateResponse and Diagnose to the
	// Refreshing, so whoever holds this SP validates against the source's current trust.
	live *Refreshing
}

// New checks cfg and returns the SP it describes. The error names the missing or
// invalid field.
func New(cfg Config) (*SP, error) {
	switch {
	case cfg.EntityID == "":
		return nil, errors.New("saml: Config.EntityID is required (the SP Entity ID, Entra's Identifier)")
	case cfg.ACSURL == "":
		return nil, errors.New("saml: Config.ACSURL is required (the Assertion Consumer Service URL, Entra's Reply URL)")
	case cfg.IdP == nil:
		return nil, errors.New("saml: Config.IdP is required")
	case cfg.IdP.EntityID == "":
		return nil, errors.New("saml: Config.IdP.EntityID is required (Entra's Microsoft Entra Identifier, https://sts.windows.net/<tenant-id>/)")
	case len(cfg.IdP.Certificates) == 0:
		return nil, errors.New("saml: Config.IdP.Certificates is empty: paste the IdP's signing certificate (Entra: Certificate (Base64))")
	case cfg.ClockSkew < 0:
		return nil, fmt.Errorf("saml: Config.ClockSkew is negative (%v)", cfg.ClockSkew)
	case cfg.LoginTimeout < 0:
		return nil, fmt.Errorf("saml: Config.LoginTimeout is negative (%v)", cfg.LoginTimeout)
	case cfg.MaxIssueDelay < 0:
		return nil, fmt.Errorf("saml: Config.MaxIssueDelay is negative (%v)", cfg.MaxIssueDelay)
	case cfg.SignAuthnRequests && cfg.Key == nil:
		return nil, errors.New("saml: Config.SignAuthnRequests needs Config.Key")
	}
	for i, c := range cfg.IdP.Certificates {
		if c == nil {
			return nil, fmt.Errorf("saml: Config.IdP.Certificates[%d] is nil", i)
		}
	}
	// Trust is what cfg says now: copy what the caller could change later through the
	// pointers and slices it keeps (the IdP, its certificate list, the SP's keys).
	idp := *cfg.IdP
	idp.Certificates = slices.Clone(cfg.IdP.Certificates)
	cfg.IdP = &idp
	cfg.DecryptionKeys = slices.Clone(cfg.DecryptionKeys)
	s := &SP{
		cfg:    cfg,
		skew:   cfg.ClockSkew,
		delay:  cfg.MaxIssueDelay,
		login:  cfg.LoginTimeout,
		limits: cfg.Limits.withDefaults(),
		now:    cfg.Now,
		replay: cfg.ReplayCache,
	}
	if s.skew == 0 {
		s.skew = defaultClockSkew
	}
	if s.delay == 0 {
		s.delay = defaultMaxIssueDelay
	}
	if s.login == 0 {
		s.login = defaultLoginTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.replay == nil {
		m := NewMemoryReplayCache(0)
		m.Now = s.now // expire entries on the SP's clock
		s.replay = m
	}
	for _, k := range append([]*certs.KeyPair{cfg.Key}, cfg.DecryptionKeys...) {
		if k != nil && k.Key != nil {
			s.decryptKeys = append(s.decryptKeys, k)
		}
	}
	return s, nil
}

// Config returns the configuration s was made from, with defaults not filled in. Its
// IdP is a copy: changing it does not change s.
func (s *SP) Config() Config {
	c := s.cfg
	idp := *c.IdP
	idp.Certificates = slices.Clone(idp.Certificates)
	c.IdP = &idp
	c.DecryptionKeys = slices.Clone(c.DecryptionKeys)
	return c
}

// Now returns the current time on the SP's clock (Config.Now).
func (s *SP) Now() time.Time { return s.now() }

// LoginTimeout returns how long an AuthnRequest may stay unanswered: Config.LoginTimeout,
// or its default when that is zero.
func (s *SP) LoginTimeout() time.Duration { return s.login }

// ValidateResponse checks a SAMLResponse form value, as posted to the ACS URL, and
// returns the assertion it carries. requestIDs are the IDs of the AuthnRequests this
// browser has outstanding; pass none for IdP-initiated login.
//
// Every value in the returned Assertion was read from the element a trusted signature
// covered. The assertion's ID is recorded in the replay cache, so the same response is
// accepted only once. A rejection is an *Error wrapping one of the Err… kinds.
func (s *SP) ValidateResponse(ctx context.Context, samlResponse string, requestIDs ...string) (*assertion.Assertion, error) {
	if s.live != nil {
		return s.live.ValidateResponse(ctx, samlResponse, requestIDs...)
	}
	r := s.run(ctx, samlResponse, requestIDs, false)
	if r.err != nil {
		s.logRejection(ctx, r.err)
		return nil, r.err
	}
	s.recordSigner(ctx, r.assertion)
	return r.assertion, nil
}
