package sp

import (
	"crypto/x509"
	"errors"
	"strings"

	"github.com/ssokit/saml/certs"
)

// Kinds of rejection; test with errors.Is. Every error ValidateResponse returns wraps
// exactly one of them and is an *Error carrying the details.
var (
	ErrMalformed    = errors.New("saml: malformed response")
	ErrSignature    = errors.New("saml: signature")
	ErrIssuer       = errors.New("saml: issuer")
	ErrAudience     = errors.New("saml: audience")
	ErrDestination  = errors.New("saml: destination")
	ErrExpired      = errors.New("saml: outside validity window")
	ErrInResponseTo = errors.New("saml: InResponseTo")
	ErrUnsolicited  = errors.New("saml: unsolicited response")
	ErrReplay       = errors.New("saml: replay")
	ErrStatus       = errors.New("saml: IdP returned a non-success status")
	// ErrUnavailable is not the response's fault: a store the SP depends on (the replay
	// cache; sp/web's request or session store; e.g. Redis) could not answer, so the
	// response was refused rather than accepted with its replay status unknown. Alert on
	// it as an outage, not an attack; sp/web answers it with 503.
	ErrUnavailable = errors.New("saml: store unavailable")
)

// Error is a rejected response, described for the administrator who must fix the
// configuration on one side or the other. Never show it to the end user: it names
// configuration values; use UserMessage for the browser.
type Error struct {
	Kind     error  // one of the Err… sentinels above
	Check    string // the pipeline check that failed, e.g. "audience"
	Expected string // what this SP is configured to accept
	Received string // what arrived
	Fix      string // what to change, and where: default English text
	// FixCode names the advice in Fix, stable across releases (a Code… constant), and
	// FixParams are the values it refers to, for an app that words its own advice.
	FixCode   string
	FixParams map[string]string
	Err       error // the underlying cause, if any (e.g. a *StatusError)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("saml: ")
	b.WriteString(e.Check)
	switch {
	case e.Received != "" && e.Expected != "":
		b.WriteString(": got ")
		b.WriteString(e.Received)
		b.WriteString("; expected ")
		b.WriteString(e.Expected)
	case e.Received != "":
		b.WriteString(": ")
		b.WriteString(e.Received)
	case e.Expected != "":
		b.WriteString(": expected ")
		b.WriteString(e.Expected)
	}
	// The cause, unless the text already says it (a StatusError's codes and AADSTS
	// message are what Received quotes; an UnknownSignerError is the signer it names).
	if _, described := e.Err.(*UnknownSignerError); e.Err != nil && !described {
		if cause := e.Err.Error(); !strings.Contains(b.String(), cause) {
			b.WriteString(" (")
			b.WriteString(cause)
			b.WriteString(")")
		}
	}
	if e.Fix != "" {
		b.WriteString(" — ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap lets errors.Is match the sentinel kind and errors.As reach the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// UnknownSignerError is a signature that no configured IdP certificate verifies, made
// (per its KeyInfo) with a certificate that is not configured: the IdP may have rolled
// its signing certificate over. Reach it with errors.As on an error that wraps
// ErrSignature, the way crypto/x509 reports an UnknownAuthorityError, to refresh trust
// (fetch the IdP's metadata again) and retry.
//
// Certificate is only what the sender claims: it is never trusted, and is nil when
// KeyInfo carried no certificate (or none that parses). Decide to refresh on it; never
// verify with it, and never add it to the trusted certificates.
type UnknownSignerError struct {
	Certificate *x509.Certificate
}

func (e *UnknownSignerError) Error() string {
	if e.Certificate == nil {
		return "saml: signed by a key no configured certificate holds (KeyInfo names no certificate)"
	}
	return "saml: signed by certificate " + certs.Thumbprint(e.Certificate) + ", which is not configured"
}

// StatusError is the IdP's own verdict when it did not sign the user in. Reach it with
// errors.As on an error that wraps ErrStatus.
type StatusError struct {
	Code     string   // top-level StatusCode, e.g. urn:oasis:names:tc:SAML:2.0:status:Responder
	SubCodes []string // nested StatusCodes, outermost first
	Message  string   // StatusMessage; Entra puts "AADSTS…: explanation" here
	Detail   string   // text content of StatusDetail, if any
}

func (e *StatusError) Error() string {
	s := shortStatus(e.Code)
	for _, c := range e.SubCodes {
		s += "/" + shortStatus(c)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func shortStatus(code string) string {
	return strings.TrimPrefix(code, "urn:oasis:names:tc:SAML:2.0:status:")
}

// kinds are the short names KindOf gives the sentinels, in the order it tests them.
var kinds = []struct {
	err  error
	name string
}{
	{ErrUnavailable, "unavailable"},
	{ErrStatus, "status"},
	{ErrReplay, "replay"},
	{ErrSignature, "signature"},
	{ErrIssuer, "issuer"},
	{ErrAudience, "audience"},
	{ErrDestination, "destination"},
	{ErrExpired, "expired"},
	{ErrUnsolicited, "unsolicited"},
	{ErrInResponseTo, "in-response-to"},
	{ErrMalformed, "malformed"},
}

// KindOf returns a short, stable name for the kind of rejection err wraps ("signature",
// "audience", "status", "unavailable", …), the "kind" of this package's log records,
// for log search and metrics; "" when err wraps none of the Err… kinds.
func KindOf(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return ""
}

// UserMessage returns a short text that is safe to show in the end user's browser for an
// error returned by this package. It never contains configuration values or details of
// the response, so a failed login tells an attacker nothing; log the error itself for the
// administrator.
func UserMessage(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnavailable):
		return "Sign-in is unavailable right now. Please try again in a minute."
	case errors.Is(err, ErrStatus):
		return "Your identity provider did not sign you in. Please try again or contact your administrator."
	default:
		return "Sign-in failed. Please try again, or contact your administrator if it keeps failing."
	}
}
