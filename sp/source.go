package sp

import (
	"context"
	"crypto/x509"
	"errors"
	"sync"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/metadata"
)

// IdPSource is an IdP whose trust changes over time, such as a metadata URL kept
// current by *metadata.Remote, which satisfies it.
type IdPSource interface {
	// IdP returns the IdP as currently trusted. Callers treat it as read-only and call
	// again for each response: a new value means new trust.
	IdP(ctx context.Context) (*metadata.IdP, error)
	// RefreshUnknownSigner is called when a response was signed by a certificate the
	// current IdP does not list (signer, as the response's KeyInfo names it, may be nil:
	// it is a hint, never trusted). It returns the IdP to validate with again, after at
	// most one fetch; implementations rate-limit fetches, so a stream of responses
	// from unknown signers cannot make the SP hammer the IdP.
	RefreshUnknownSigner(ctx context.Context, signer *x509.Certificate) (*metadata.IdP, error)
}

// Refreshing is an SP whose IdP comes from an IdPSource. When a response is signed by
// a certificate the SP does not trust, it asks the source to refresh (rate-limited by
// the source: metadata.Remote fetches at most once per UnknownSignerInterval) and
// validates the response once more if the trusted IdP changed. So when an Entra admin
// clicks "Make certificate active" on a new certificate, the first login signed with
// it costs one metadata fetch instead of failing.
//
// The response is validated in full each time, against the certificates the source
// returned; the certificate named in the response's KeyInfo only decides whether to
// ask. The source never makes trust out of a response.
//
// Refreshing is safe for concurrent use.
type Refreshing struct {
	cfg    Config
	source IdPSource

	mu  sync.Mutex
	idp *metadata.IdP
	sp  *SP
}

// NewRefreshing returns an SP with cfg whose Config.IdP comes from source; cfg.IdP must
// be nil. Every SP it builds shares one replay cache (cfg.ReplayCache, or one memory
// cache), so a response accepted before a refresh is not accepted again after it.
// It does not contact the source: the first use does.
func NewRefreshing(cfg Config, source IdPSource) (*Refreshing, error) {
	if source == nil {
		return nil, errors.New("saml: NewRefreshing needs an IdPSource (e.g. a *metadata.Remote)")
	}
	if cfg.IdP != nil {
		return nil, errors.New("saml: NewRefreshing: leave Config.IdP nil; the IdPSource provides it")
	}
	if cfg.ReplayCache == nil {
		m := NewMemoryReplayCache(0)
		if cfg.Now != nil {
			m.Now = cfg.Now
		}
		cfg.ReplayCache = m
	}
	// Check everything but the IdP now, with a placeholder, so a bad Config fails here
	// and not at the first login.
	probe := cfg
	probe.IdP = &metadata.IdP{EntityID: "placeholder", Certificates: []*x509.Certificate{{}}}
	if _, err := New(probe); err != nil {
		return nil, err
	}
	return &Refreshing{cfg: cfg, source: source}, nil
}

// SP returns the SP for the IdP the source trusts now, for everything that needs an
// *SP (AuthnRequestURL, SP metadata, the web handlers). It is rebuilt only when the
// source returns a different IdP.
//
// Its ValidateResponse and Diagnose always go through r, so a long-lived holder (web
// handlers made once at startup) validates against the current trust, with the
// unknown-signer retry, and a certificate the metadata no longer lists stops verifying
// at once. Everything else it does (AuthnRequestURL's SSO URL, SP metadata) uses the IdP
// of when it was made: call SP again after an OnChange that moved endpoints.
func (r *Refreshing) SP(ctx context.Context) (*SP, error) {
	idp, err := r.source.IdP(ctx)
	if err != nil {
		return nil, err
	}
	return r.spFor(idp)
}

func (r *Refreshing) spFor(idp *metadata.IdP) (*SP, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sp != nil && r.idp == idp {
		return r.sp, nil
	}
	cfg := r.cfg
	cfg.IdP = idp
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	s.live = r
	r.idp, r.sp = idp, s
	return s, nil
}

// ValidateResponse is SP.ValidateResponse against the source's IdP, with one more
// attempt after a refresh when the response was signed by an unknown certificate.
func (r *Refreshing) ValidateResponse(ctx context.Context, samlResponse string, requestIDs ...string) (*assertion.Assertion, error) {
	s, err := r.SP(ctx)
	if err != nil {
		return nil, err
	}
	res := s.run(ctx, samlResponse, requestIDs, false)
	if signer, unknown := unknownSigner(res.err); unknown {
		if again, ok := r.retry(ctx, s, signer); ok {
			s = again
			res = s.run(ctx, samlResponse, requestIDs, false)
		}
	}
	if res.err != nil {
		s.logRejection(ctx, res.err)
		return nil, res.err
	}
	s.recordSigner(ctx, res.assertion)
	return res.assertion, nil
}

// Diagnose is SP.Diagnose against the source's IdP, with the same one retry after a
// refresh as ValidateResponse.
func (r *Refreshing) Diagnose(ctx context.Context, samlResponse string, requestIDs ...string) (*Diagnosis, error) {
	s, err := r.SP(ctx)
	if err != nil {
		return nil, err
	}
	d := s.diagnose(ctx, samlResponse, requestIDs)
	for _, c := range d.Failed() {
		if signer, unknown := unknownSigner(c.Err); unknown {
			if again, ok := r.retry(ctx, s, signer); ok {
				d = again.diagnose(ctx, samlResponse, requestIDs)
			}
			break
		}
	}
	return d, nil
}

// diagnose is Diagnose for SP.Diagnose: a source that cannot say whom to trust is a
// failed check of its own.
func (r *Refreshing) diagnose(ctx context.Context, samlResponse string, requestIDs []string) *Diagnosis {
	d, err := r.Diagnose(ctx, samlResponse, requestIDs...)
	if err != nil {
		return &Diagnosis{Checks: []Check{{Name: "idp trust", Status: Failed, Expected: "the IdP's metadata",
			Received: err.Error(), Fix: "check the metadata URL (Entra: SAML Certificates → App Federation Metadata Url)", Err: err}}}
	}
	return d
}

// Signers is SP.Signers for the IdP the source trusts now.
func (r *Refreshing) Signers(ctx context.Context) (*SignerReport, error) {
	s, err := r.SP(ctx)
	if err != nil {
		return nil, err
	}
	return s.Signers(ctx)
}

// retry asks the source about signer and returns the SP to validate with again, if
// the trusted IdP changed.
func (r *Refreshing) retry(ctx context.Context, s *SP, signer *x509.Certificate) (*SP, bool) {
	idp, err := r.source.RefreshUnknownSigner(ctx, signer)
	if err != nil || idp == nil || idp == s.cfg.IdP {
		return nil, false
	}
	again, err := r.spFor(idp)
	if err != nil || again == s {
		return nil, false
	}
	return again, true
}

// unknownSigner reports whether err is a signature made by a certificate that is not
// configured, with the certificate its KeyInfo named (untrusted; nil if none).
func unknownSigner(err error) (*x509.Certificate, bool) {
	var u *UnknownSignerError
	if !errors.Is(err, ErrSignature) || !errors.As(err, &u) {
		return nil, false
	}
	return u.Certificate, true
}
