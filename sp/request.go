package sp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/metadata"
)

// SAML names used in an AuthnRequest.
const (
	authnNSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	authnNSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
)

// A RequestOption changes one thing about an AuthnRequest. The zero set of options is
// what Entra expects: no NameIDPolicy, no RequestedAuthnContext, no ForceAuthn.
type RequestOption struct {
	apply func(*requestParams)
}

type requestParams struct {
	forceAuthn   bool
	isPassive    bool
	loginHint    string
	nameIDFormat string
	comparison   string
	classRefs    []string
	rand         io.Reader // test seam for IDs; nil means crypto/rand
}

// ForceAuthn asks the IdP to authenticate the user again even when it has a session
// (Entra honours it: the user sees the sign-in page).
func ForceAuthn() RequestOption {
	return RequestOption{func(p *requestParams) { p.forceAuthn = true }}
}

// IsPassive asks the IdP not to interact with the user. Without an IdP session the answer
// is an error Response (Entra: AADSTS50058), which ValidateResponse reports as ErrStatus.
func IsPassive() RequestOption {
	return RequestOption{func(p *requestParams) { p.isPassive = true }}
}

// LoginHint pre-fills the user name on the IdP's sign-in page. Entra forbids a Subject in
// the AuthnRequest and reads the hint from the login_hint query parameter instead, so
// that is where it goes (with either binding, on the URL).
func LoginHint(username string) RequestOption {
	return RequestOption{func(p *requestParams) { p.loginHint = username }}
}

// NameIDFormat adds a NameIDPolicy asking for that NameID format. Entra accepts only
// unspecified, emailAddress, persistent and transient; leave it out to get what the
// Enterprise application is configured to send.
func NameIDFormat(format string) RequestOption {
	return RequestOption{func(p *requestParams) { p.nameIDFormat = format }}
}

// RequestedAuthnContext asks for particular authentication context classes. Entra accepts
// only the comparison "exact" (an empty comparison means "exact"), and rejects a request
// for PasswordProtectedTransport when the user signed in another way (AADSTS75011), which
// is why nothing is requested by default.
func RequestedAuthnContext(comparison string, classRefs ...string) RequestOption {
	refs := append([]string(nil), classRefs...)
	return RequestOption{func(p *requestParams) { p.comparison, p.classRefs = comparison, refs }}
}

// withRand makes request IDs from r; tests use it for reproducible IDs.
func withRand(r io.Reader) RequestOption {
	return RequestOption{func(p *requestParams) { p.rand = r }}
}

// AuthnRequestURL starts SP-initiated login with the HTTP-Redirect binding: send the
// browser to redirectURL, and remember requestID (bound to this browser) to pass to
// ValidateResponse when the IdP answers. relayState comes back unchanged with the
// response; keep it short (the binding limits it to 80 bytes) and unguessable.
//
// The request is signed in the query string (RSA-SHA256) when Config.SignAuthnRequests is
// set, for Entra's "Require verification certificates".
func (s *SP) AuthnRequestURL(relayState string, opts ...RequestOption) (redirectURL, requestID string, err error) {
	p := collectRequestOptions(opts)
	dest, err := s.ssoURL()
	if err != nil {
		return "", "", err
	}
	id, el, err := s.buildAuthnRequest(p)
	if err != nil {
		return "", "", err
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return "", "", fmt.Errorf("saml: encode AuthnRequest: %w", err)
	}
	value, err := redirect.Encode(raw)
	if err != nil {
		return "", "", fmt.Errorf("saml: AuthnRequest: %w", err)
	}
	var key crypto.Signer
	if s.signsRequests() {
		if _, err := s.requestSigner(); err != nil { // the same checks as for the POST binding
			return "", "", err
		}
		key = s.cfg.Key.Key
	}
	// Bindings §3.4.4.1: the signature covers the parameters exactly as they appear in
	// the URL, in the binding's order (internal/redirect builds them by hand).
	q, err := redirect.Query(redirect.SAMLRequest, value, relayState, key)
	if err != nil {
		return "", "", fmt.Errorf("saml: sign AuthnRequest: %w", err)
	}
	if p.loginHint != "" {
		q += "&login_hint=" + url.QueryEscape(p.loginHint)
	}
	if dest.RawQuery != "" {
		// Keep what the admin pasted (e.g. ?whr=… or a tenant hint) ahead of ours.
		q = dest.RawQuery + "&" + q
	}
	dest.RawQuery = q
	return dest.String(), id, nil
}

// AuthnRequestForm starts SP-initiated login with the HTTP-POST binding: write form to the
// browser (form.ServeHTTP) and remember requestID as with AuthnRequestURL. Use it when the
// request would be too long for a URL. With Config.SignAuthnRequests the AuthnRequest
// carries an enveloped XML signature (RSA-SHA256, exclusive C14N).
func (s *SP) AuthnRequestForm(relayState string, opts ...RequestOption) (form *PostForm, requestID string, err error) {
	p := collectRequestOptions(opts)
	dest, err := s.ssoURL()
	if err != nil {
		return nil, "", err
	}
	id, el, err := s.buildAuthnRequest(p)
	if err != nil {
		return nil, "", err
	}
	if s.signsRequests() {
		ctx, err := s.requestSigner()
		if err != nil {
			return nil, "", err
		}
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		sig, err := ctx.ConstructSignature(el, true)
		if err != nil {
			return nil, "", fmt.Errorf("saml: sign AuthnRequest: %w", err)
		}
		// The schema puts Signature right after Issuer, not at the end where
		// goxmldsig's SignEnveloped would append it.
		el.InsertChildAt(1, sig)
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, "", fmt.Errorf("saml: encode AuthnRequest: %w", err)
	}
	if p.loginHint != "" {
		q := dest.Query()
		q.Set("login_hint", p.loginHint)
		dest.RawQuery = q.Encode()
	}
	return &PostForm{
		URL:         dest.String(),
		SAMLRequest: base64.StdEncoding.EncodeToString(raw),
		RelayState:  relayState,
	}, id, nil
}

func collectRequestOptions(opts []RequestOption) requestParams {
	var p requestParams
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&p)
		}
	}
	return p
}

// ssoURL is the IdP's SingleSignOnService URL, parsed, or a configuration error.
func (s *SP) ssoURL() (*url.URL, error) {
	if s.cfg.IdP == nil || s.cfg.IdP.SSOURL == "" {
		return nil, errors.New("saml: no IdP SSO URL configured: set Config.IdP.SSOURL to the IdP's Login URL (Entra: Single sign-on → Set up → Login URL)")
	}
	u, err := url.Parse(s.cfg.IdP.SSOURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("saml: IdP SSO URL %q is not an absolute http(s) URL", s.cfg.IdP.SSOURL)
	}
	return u, nil
}

// buildAuthnRequest returns a fresh request ID and the unsigned AuthnRequest element.
func (s *SP) buildAuthnRequest(p requestParams) (string, *etree.Element, error) {
	if s.cfg.EntityID == "" {
		return "", nil, errors.New("saml: no SP Entity ID configured: set Config.EntityID to the Identifier (Entity ID) registered at the IdP")
	}
	id, err := newRequestID(p.rand)
	if err != nil {
		return "", nil, err
	}
	now := s.now
	if now == nil {
		now = time.Now
	}

	el := etree.NewElement("samlp:AuthnRequest")
	el.CreateAttr("xmlns:samlp", authnNSProtocol)
	el.CreateAttr("xmlns:saml", authnNSAssertion)
	el.CreateAttr("ID", id)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", requestInstant(now()))
	el.CreateAttr("Destination", s.cfg.IdP.SSOURL)
	if s.cfg.ACSURL != "" {
		el.CreateAttr("AssertionConsumerServiceURL", s.cfg.ACSURL)
	}
	// HTTP-POST is the only ProtocolBinding Entra answers with (anything else is
	// AADSTS75003), so it is the one every AuthnRequest asks for.
	el.CreateAttr("ProtocolBinding", metadata.BindingHTTPPost)
	if p.forceAuthn {
		el.CreateAttr("ForceAuthn", "true")
	}
	if p.isPassive {
		el.CreateAttr("IsPassive", "true")
	}
	el.CreateElement("saml:Issuer").SetText(s.cfg.EntityID)
	if p.nameIDFormat != "" {
		// No SPNameQualifier: Entra answers it with AADSTS90011.
		pol := el.CreateElement("samlp:NameIDPolicy")
		pol.CreateAttr("Format", p.nameIDFormat)
		pol.CreateAttr("AllowCreate", "true")
	}
	if len(p.classRefs) > 0 {
		cmp := p.comparison
		if cmp == "" {
			cmp = "exact"
		}
		switch cmp {
		case "exact", "minimum", "maximum", "better":
		default:
			return "", nil, fmt.Errorf("saml: RequestedAuthnContext comparison %q is not exact, minimum, maximum or better", cmp)
		}
		rac := el.CreateElement("samlp:RequestedAuthnContext")
		rac.CreateAttr("Comparison", cmp)
		for _, ref := range p.classRefs {
			rac.CreateElement("saml:AuthnContextClassRef").SetText(ref)
		}
	}
	return id, el, nil
}

// newRequestID returns "id" and 32 hex digits (128 random bits). The letter prefix matters:
// an xs:ID may not start with a digit, and Entra rejects such IDs (AADSTS7500529).
func newRequestID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("saml: random source failed: %w", err)
	}
	return "id" + hex.EncodeToString(b[:]), nil
}

// requestInstant writes t as xs:dateTime in UTC with whole seconds, the form every IdP
// parses.
func requestInstant(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// signsRequests reports whether AuthnRequests are to be signed.
func (s *SP) signsRequests() bool {
	return s.cfg.SignAuthnRequests
}

// requestSigner is an RSA-SHA256 signing context over Config.Key.
func (s *SP) requestSigner() (*dsig.SigningContext, error) {
	kp := s.cfg.Key
	if kp == nil || kp.Key == nil {
		return nil, errors.New("saml: Config.SignAuthnRequests is set but Config.Key is nil: give the SP a key pair (certs.GenerateKeyPair) and upload its certificate to the IdP")
	}
	if _, ok := kp.Key.Public().(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("saml: signing AuthnRequests needs an RSA key (Entra accepts only RSA-SHA256), Config.Key holds a %T", kp.Key.Public())
	}
	var chain [][]byte
	if kp.Certificate != nil {
		chain = [][]byte{kp.Certificate.Raw}
	}
	ctx, err := dsig.NewSigningContext(kp.Key, chain)
	if err != nil {
		return nil, fmt.Errorf("saml: AuthnRequest signer: %w", err)
	}
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, fmt.Errorf("saml: AuthnRequest signer: %w", err)
	}
	return ctx, nil
}
