package sp

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/redirect"
)

// Single Logout (SAML profiles §4.4), as Entra does it: the SP sends a LogoutRequest to
// the IdP's Logout URL with the HTTP-Redirect binding and validates the LogoutResponse
// that comes back to its own Logout URL; the IdP sends a LogoutRequest to that URL when
// the user signs out elsewhere, and the SP answers with a LogoutResponse. Messages are
// received with the HTTP-Redirect or the HTTP-POST binding and pass the same strict
// gate as responses, under the fixed limits below.

// LogoutConfig configures Single Logout. Its zero value sends unsigned LogoutRequests
// (unless SignAuthnRequests is set) and accepts unsigned IdP messages whose signature
// is absent, while always verifying a signature that is present.
type LogoutConfig struct {
	// URL is the SP's Single Logout URL, where the IdP sends LogoutRequests and
	// LogoutResponses: Entra's "Logout Url" in Basic SAML Configuration. Every received
	// message's Destination must be this URL. Empty means the SP receives no logout
	// message (each is refused with ErrDestination) and its metadata lists no
	// SingleLogoutService.
	URL string

	// RequireSignedRequests refuses an IdP-initiated LogoutRequest that carries no valid
	// signature (in the query or in the XML). Entra signs them; set it for Entra. False
	// accepts an unsigned one, which anyone could send: it then ends a session only when
	// its SessionIndex matches (see LogoutRequest.Matches), which Entra makes
	// unguessable.
	RequireSignedRequests bool

	// RequireSignedResponses refuses a LogoutResponse without a valid signature. False
	// accepts an unsigned one (Microsoft's documented sample is unsigned); it must still
	// answer a LogoutRequest this browser sent.
	RequireSignedResponses bool

	// SignMessages signs the LogoutRequests and LogoutResponses the SP sends with
	// Config.Key (RSA-SHA256). They are also signed when SignAuthnRequests is set: Entra's
	// "Require verification certificates" covers every request.
	SignMessages bool
}

// Limits of a logout message. They are fixed: a LogoutRequest is under one kilobyte, and
// nothing legitimate comes near these.
const (
	maxLogoutEncoded = 64 << 10 // a POST form value, or a query string
	maxLogoutXML     = 32 << 10 // the XML after base64 and inflating
	// logoutMaxAge bounds how old a received message may be (plus ClockSkew). Entra's
	// LogoutRequests are valid for one hour (NotOnOrAfter = IssueInstant + 1 h).
	logoutMaxAge = time.Hour
)

var logoutGate = struct {
	redirect redirect.Limits
}{redirect.Limits{MaxQuery: maxLogoutEncoded, MaxInflated: maxLogoutXML}}

// Codes of the advice in a rejected logout message's Fix (Error.FixCode), beside the
// shared Code… constants. They are stable.
const (
	CodeLogoutBinding     = "logout-binding"     // the IdP must use HTTP-Redirect or HTTP-POST, unchanged
	CodeLogoutExpired     = "logout-expired"     // the logout message is too old: sign out again
	CodeLogoutMessage     = "logout-message"     // another message than this endpoint reads
	CodeLogoutSigning     = "logout-signing"     // sign logout messages at the IdP, or stop requiring it
	CodeLogoutUnsolicited = "logout-unsolicited" // answers no LogoutRequest of this browser: sign out again
	CodeLogoutURL         = "logout-url"         // value (when known): the SP's Logout URL to register at the IdP
)

// Logout status codes.
const (
	statusPartialLogout = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
)

// LogoutSubject names the session to end at the IdP: the NameID exactly as the IdP sent
// it at login (value, Format and qualifiers; Assertion.NameID) and the login's
// SessionIndex (Assertion.SessionIndex).
type LogoutSubject struct {
	NameID       assertion.NameID
	SessionIndex string
}

// LogoutRequest is a validated LogoutRequest from the IdP: every value was read from
// what the signature covered when it was signed.
type LogoutRequest struct {
	ID             string
	Issuer         string
	IssueInstant   time.Time
	NotOnOrAfter   time.Time // zero when absent
	Destination    string    // empty when absent (allowed for an unsigned message)
	NameID         assertion.NameID
	SessionIndexes []string
	Reason         string
	RelayState     string // to send back with the LogoutResponse
	Binding        string // metadata.BindingHTTPRedirect or metadata.BindingHTTPPost
	// Signer is the configured IdP certificate whose key verified the message; nil when
	// it was unsigned.
	Signer *x509.Certificate
}

// Matches reports whether the request ends the session of a login with this NameID and
// SessionIndex. When the request names session indexes, the SessionIndex decides alone:
// Entra's broadcast requests may carry another NameID than the login's. Otherwise the
// NameID value, Format and qualifiers must all be equal, and the request must have been
// signed: an unsigned one could come from anyone who knows the user's NameID (often an
// e-mail address), sent through the user's own browser by any site.
func (r *LogoutRequest) Matches(nameID assertion.NameID, sessionIndex string) bool {
	if len(r.SessionIndexes) > 0 {
		for _, si := range r.SessionIndexes {
			if si == sessionIndex && si != "" {
				return true
			}
		}
		return false
	}
	return r.Signer != nil && nameID.Value != "" && nameID == r.NameID
}

// LogoutResponse is a validated LogoutResponse with status Success.
type LogoutResponse struct {
	ID           string
	Issuer       string
	IssueInstant time.Time
	InResponseTo string // the LogoutRequest it answers
	Destination  string
	// Partial is set when the IdP reports that not every session participant was logged
	// out (status PartialLogout).
	Partial    bool
	RelayState string
	Binding    string
	Signer     *x509.Certificate
}

// LogoutRequestURL starts SP-initiated Single Logout with the HTTP-Redirect binding: send
// the browser to redirectURL (the IdP's Logout URL, IdP.SLOURL), and keep requestID bound
// to this browser, for at most LoginTimeout, to pass to ValidateLogout or
// ValidateLogoutResponse when the IdP answers (each request is answered once). End the
// local session first: the IdP may never answer. The request is signed with Config.Key when
// LogoutConfig.SignMessages or SignAuthnRequests is set.
func (s *SP) LogoutRequestURL(subject LogoutSubject, relayState string) (redirectURL, requestID string, err error) {
	dest, err := s.sloURL()
	if err != nil {
		return "", "", err
	}
	id, el, err := s.buildLogoutRequest(subject)
	if err != nil {
		return "", "", err
	}
	u, err := s.redirectTo(dest, redirect.SAMLRequest, el, relayState)
	if err != nil {
		return "", "", err
	}
	return u, id, nil
}

// LogoutRequestForm is LogoutRequestURL for the HTTP-POST binding: write form to the
// browser. When signing is configured the request carries an enveloped XML signature.
func (s *SP) LogoutRequestForm(subject LogoutSubject, relayState string) (form *PostForm, requestID string, err error) {
	dest, err := s.sloURL()
	if err != nil {
		return nil, "", err
	}
	id, el, err := s.buildLogoutRequest(subject)
	if err != nil {
		return nil, "", err
	}
	f, err := s.postTo(dest, redirect.SAMLRequest, el, relayState)
	if err != nil {
		return nil, "", err
	}
	return f, id, nil
}

// LogoutResponseURL answers a validated IdP-initiated LogoutRequest with a Success
// LogoutResponse, HTTP-Redirect binding, to the IdP's Logout URL (never to an address
// the request names); it carries the request's RelayState back. End the local session
// before sending the browser there.
func (s *SP) LogoutResponseURL(req *LogoutRequest) (string, error) {
	dest, err := s.sloURL()
	if err != nil {
		return "", err
	}
	el, err := s.buildLogoutResponse(req)
	if err != nil {
		return "", err
	}
	return s.redirectTo(dest, redirect.SAMLResponse, el, req.RelayState)
}

// LogoutResponseForm is LogoutResponseURL for the HTTP-POST binding.
func (s *SP) LogoutResponseForm(req *LogoutRequest) (*PostForm, error) {
	dest, err := s.sloURL()
	if err != nil {
		return nil, err
	}
	el, err := s.buildLogoutResponse(req)
	if err != nil {
		return nil, err
	}
	return s.postTo(dest, redirect.SAMLResponse, el, req.RelayState)
}

// sloURL is the IdP's Single Logout URL, parsed, or a configuration error.
func (s *SP) sloURL() (*url.URL, error) {
	if s.cfg.IdP.SLOURL == "" {
		return nil, errors.New("saml: no IdP Logout URL configured: set Config.IdP.SLOURL (Entra: Single sign-on → Set up → Logout URL, the same address as the Login URL)")
	}
	u, err := url.Parse(s.cfg.IdP.SLOURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("saml: IdP Logout URL %q is not an absolute http(s) URL", s.cfg.IdP.SLOURL)
	}
	return u, nil
}

func (s *SP) signsLogout() bool { return s.cfg.Logout.SignMessages || s.cfg.SignAuthnRequests }

// logoutRoot starts a logout message element with the attributes both kinds share.
func (s *SP) logoutRoot(name, id string) *etree.Element {
	el := etree.NewElement("samlp:" + name)
	el.CreateAttr("xmlns:samlp", protoNS)
	el.CreateAttr("xmlns:saml", assertNS)
	el.CreateAttr("ID", id)
	el.CreateAttr("Version", samlVersion)
	el.CreateAttr("IssueInstant", requestInstant(s.now()))
	el.CreateAttr("Destination", s.cfg.IdP.SLOURL)
	el.CreateElement("saml:Issuer").SetText(s.cfg.EntityID)
	return el
}

func (s *SP) buildLogoutRequest(sub LogoutSubject) (string, *etree.Element, error) {
	if sub.NameID.Value == "" {
		return "", nil, errors.New("saml: LogoutRequest needs the NameID the IdP sent at login (Assertion.NameID)")
	}
	id, err := newRequestID(nil)
	if err != nil {
		return "", nil, err
	}
	el := s.logoutRoot("LogoutRequest", id)
	n := el.CreateElement("saml:NameID")
	for _, a := range [][2]string{
		{"NameQualifier", sub.NameID.NameQualifier},
		{"SPNameQualifier", sub.NameID.SPNameQualifier},
		{"Format", sub.NameID.Format},
		{"SPProvidedID", sub.NameID.SPProvidedID},
	} {
		if a[1] != "" {
			n.CreateAttr(a[0], a[1])
		}
	}
	n.SetText(sub.NameID.Value)
	if sub.SessionIndex != "" {
		el.CreateElement("samlp:SessionIndex").SetText(sub.SessionIndex)
	}
	return id, el, nil
}

func (s *SP) buildLogoutResponse(req *LogoutRequest) (*etree.Element, error) {
	if req == nil || req.ID == "" {
		return nil, errors.New("saml: a LogoutResponse answers a validated LogoutRequest (from ValidateLogoutRequest)")
	}
	id, err := newRequestID(nil)
	if err != nil {
		return nil, err
	}
	el := s.logoutRoot("LogoutResponse", id)
	el.CreateAttr("InResponseTo", req.ID)
	el.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)
	return el, nil
}

// logoutKey is the key that signs outgoing logout messages, or nil when they go unsigned.
func (s *SP) logoutKey() (crypto.Signer, error) {
	if !s.signsLogout() {
		return nil, nil
	}
	if _, err := s.requestSigner(); err != nil { // the AuthnRequest checks: an RSA Config.Key
		return nil, err
	}
	return s.cfg.Key.Key, nil
}

// redirectTo encodes el for the HTTP-Redirect binding onto dest's query.
func (s *SP) redirectTo(dest *url.URL, param string, el *etree.Element, relayState string) (string, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return "", fmt.Errorf("saml: encode %s: %w", el.Tag, err)
	}
	value, err := redirect.Encode(raw)
	if err != nil {
		return "", fmt.Errorf("saml: %s: %w", el.Tag, err)
	}
	key, err := s.logoutKey()
	if err != nil {
		return "", err
	}
	q, err := redirect.Query(param, value, relayState, key)
	if err != nil {
		return "", fmt.Errorf("saml: sign %s: %w", el.Tag, err)
	}
	if dest.RawQuery != "" {
		q = dest.RawQuery + "&" + q
	}
	u := *dest
	u.RawQuery = q
	return u.String(), nil
}

// postTo makes the HTTP-POST form carrying el as param (SAMLRequest or SAMLResponse),
// with an enveloped signature after the Issuer when signing is configured.
func (s *SP) postTo(dest *url.URL, param string, el *etree.Element, relayState string) (*PostForm, error) {
	key, err := s.logoutKey()
	if err != nil {
		return nil, err
	}
	if key != nil {
		ctx, err := s.requestSigner()
		if err != nil {
			return nil, err
		}
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		sig, err := ctx.ConstructSignature(el, true)
		if err != nil {
			return nil, fmt.Errorf("saml: sign %s: %w", el.Tag, err)
		}
		el.InsertChildAt(1, sig) // schema order: right after the Issuer
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("saml: encode %s: %w", el.Tag, err)
	}
	f := &PostForm{URL: dest.String(), RelayState: relayState}
	if param == redirect.SAMLRequest {
		f.SAMLRequest = base64.StdEncoding.EncodeToString(raw)
	} else {
		f.SAMLResponse = base64.StdEncoding.EncodeToString(raw)
	}
	return f, nil
}

// bindingName is what an error calls the binding a message came with.
func bindingName(binding string) string {
	return strings.TrimPrefix(binding, "urn:oasis:names:tc:SAML:2.0:bindings:")
}
