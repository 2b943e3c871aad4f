package sp

import (
	"errors"
	"strings"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

// Problem is the one shape of every problem this module reports to an administrator:
// a rejected response (*Error), unusable IdP settings or metadata (*metadata.Error), a
// pasted certificate or key that cannot be used (*certs.InputError, *certs.ExpiryError).
// ProblemOf gives it for any of them, so an app renders all of them one way, in its
// own words if it likes: by Fix.Code and Fix.Params instead of Fix.Text.
type Problem struct {
	// Kind is the sentinel, for errors.Is: one of sp's Err…, metadata's or certs'.
	Kind error
	// Subject is what the problem concerns, machine-readable: a pipeline check
	// ("audience", "response signature") or a form field (metadata.FieldSSOURL,
	// metadata.FieldEntityID, metadata.FieldCertificate, "metadata URL", "key").
	Subject  string
	Expected string // what is accepted
	Received string // what arrived
	Fix      Fix
	Err      error // the cause, if any
}

// Fix is what to change, and where.
type Fix struct {
	// Code names the advice, stable across releases: one of the Code… constants, or
	// for metadata and certs problems "metadata/…" and "certs/…" codes derived from
	// their error kinds. Empty when there is no advice.
	Code string
	// Params are the values the advice refers to, e.g. {"value": the ACS URL} for
	// CodeReplyURL. Nil when it refers to none.
	Params map[string]string
	// Text is the default advice in English, naming the IdP portal's fields.
	Text string
}

// fix is a Fix with its parameters given as name, value pairs.
func fix(code, text string, params ...string) Fix {
	f := Fix{Code: code, Text: text}
	if len(params) > 0 {
		f.Params = make(map[string]string, len(params)/2)
		for i := 0; i+1 < len(params); i += 2 {
			f.Params[params[i]] = params[i+1]
		}
	}
	return f
}

// Codes of the advice in a rejected response's Fix (Problem.Fix.Code and Error.FixCode).
// They are stable; the parameters each one carries are listed beside it.
const (
	CodeAltered                    = "altered" // the response was changed after the IdP made it
	CodeAssertionID                = "assertion-id"
	CodeAssertionIssuer            = "assertion-issuer"
	CodeAttributeName              = "attribute-name"
	CodeAttributeValues            = "attribute-values" // limit, attribute: raise Limits.MaxAttributeValues
	CodeAudienceRestriction        = "audience-restriction"
	CodeAuthnStatement             = "authn-statement"
	CodeBearerConfirmation         = "bearer-confirmation"
	CodeClock                      = "clock" // skew: a clock is wrong (or raise ClockSkew)
	CodeConditions                 = "conditions"
	CodeDestinationMissing         = "destination-missing"
	CodeEncryptionAlgorithm        = "encryption-algorithm" // received: the IdP's encryption settings
	CodeEntraSignInLogs            = "entra-sign-in-logs"   // look the AADSTS code up in Entra's sign-in logs
	CodeExpired                    = "expired"              // sign in again
	CodeIdentifier                 = "identifier"           // value: set Entra's Identifier (Entity ID) to value
	CodeIdPEntityID                = "idp-entity-id"        // value: the IdP entity ID configured here
	CodeIdPInitiated               = "idp-initiated"        // start at the app, or allow IdP-initiated login
	CodeIdPStatus                  = "idp-status"           // the IdP refused; its message says why
	CodeInResponseToSigned         = "in-response-to-signed"
	CodeInvalidTime                = "invalid-time"
	CodeIssuerFormat               = "issuer-format"
	CodeNameID                     = "nameid" // Entra: Unique User Identifier
	CodeNameIDEncryption           = "nameid-encryption"
	CodeNoAssertion                = "no-assertion"
	CodeNotAResponse               = "not-a-response"
	CodeOneNameID                  = "one-nameid"
	CodeOtherIdP                   = "other-idp" // issuer, value (the configured IdP entity ID), thumbprint: a response from another IdP or tenant
	CodePostBinding                = "post-binding"
	CodeReplay                     = "replay"       // sign in again
	CodeReplayCache                = "replay-cache" // the replay cache (e.g. Redis) is unreachable
	CodeReplyURL                   = "reply-url"    // value: set Entra's Reply URL (ACS URL) to value
	CodeRequestAnswered            = "request-answered"
	CodeRequireSignedAssertion     = "require-signed-assertion" // Entra Signing Option, or stop requiring signed assertions
	CodeRequireSignedResponse      = "require-signed-response"  // Entra Signing Option, or stop requiring a signed Response
	CodeResponseSignatureFirst     = "response-signature-first" // no longer given: the response signature check says what to fix
	CodeSAMLVersion                = "saml-version"
	CodeSchema                     = "schema"
	CodeSignAssertion              = "sign-assertion"
	CodeSignatureAltered           = "signature-altered"
	CodeSignatureProfile           = "signature-profile"
	CodeSignatureWrapping          = "signature-wrapping"
	CodeSigningAlgorithm           = "signing-algorithm"   // Entra: Signing Algorithm SHA-256
	CodeSigningCertificate         = "signing-certificate" // thumbprint (when KeyInfo named one): paste the IdP's current certificate
	CodeSizeLimit                  = "size-limit"          // limit (the Limits field), value
	CodeTokenEncryptionCertificate = "token-encryption-certificate"
	CodeTokenEncryptionKey         = "token-encryption-key"
	CodeTooOld                     = "too-old" // max_issue_delay
	CodeUnknownCondition           = "unknown-condition"
	CodeUnknownRequest             = "unknown-request"
	CodeValidityWindow             = "validity-window"
	CodeXMLRejected                = "xml-rejected"
)

// Problem returns e in the shape every admin-facing problem shares.
func (e *Error) Problem() Problem {
	return Problem{Kind: e.Kind, Subject: e.Check, Expected: e.Expected, Received: e.Received,
		Fix: Fix{Code: e.FixCode, Params: e.FixParams, Text: e.Fix}, Err: e.Err}
}

// ProblemOf returns the first admin-facing problem in err's chain: an *Error, a
// *metadata.Error, a *certs.InputError or a *certs.ExpiryError.
func ProblemOf(err error) (Problem, bool) {
	var se *Error
	var me *metadata.Error
	var ie *certs.InputError
	var xe *certs.ExpiryError
	switch {
	case errors.As(err, &se):
		return se.Problem(), true
	case errors.As(err, &me):
		subject := me.Field
		if strings.Contains(subject, "metadata URL") {
			subject = "metadata URL" // the field, without the URL or redirect it names
		}
		return Problem{Kind: me.Kind, Subject: subject, Expected: me.Expected, Received: me.Found,
			Fix: Fix{Code: kindCode(me.Kind), Text: me.Hint}, Err: me.Err}, true
	case errors.As(err, &ie):
		subject := metadata.FieldCertificate
		if ie.Kind == certs.ErrKey {
			subject = "key"
		}
		return Problem{Kind: ie.Kind, Subject: subject, Expected: ie.Expected, Received: ie.Found,
			Fix: Fix{Code: kindCode(ie.Kind), Text: ie.Hint}, Err: ie.Err}, true
	case errors.As(err, &xe):
		return Problem{Kind: xe.Kind, Subject: metadata.FieldCertificate, Received: xe.Error(),
			Fix: Fix{Code: kindCode(xe.Kind), Params: map[string]string{"thumbprint": xe.Thumbprint,
				"not_before": fmtTime(xe.NotBefore), "not_after": fmtTime(xe.NotAfter)}}}, true
	}
	return Problem{}, false
}

// kindCodes are the stable codes of metadata's and certs' error kinds.
var kindCodes = []struct {
	kind error
	code string
}{
	{metadata.ErrLoginURL, "metadata/login-url"},
	{metadata.ErrEntityID, "metadata/entity-id"},
	{metadata.ErrCertificate, "metadata/certificate"},
	{metadata.ErrMalformed, "metadata/malformed"},
	{metadata.ErrNoIdP, "metadata/no-idp"},
	{metadata.ErrSignature, "metadata/signature"},
	{metadata.ErrSP, "metadata/sp"},
	{metadata.ErrUnsafeURL, "metadata/unsafe-url"},
	{metadata.ErrFetch, "metadata/fetch"},
	{metadata.ErrExpired, "metadata/expired"},
	{certs.ErrEmpty, "certs/empty"},
	{certs.ErrNotCertificate, "certs/not-certificate"},
	{certs.ErrMalformed, "certs/malformed"},
	{certs.ErrNotSigning, "certs/not-signing"},
	{certs.ErrKey, "certs/key"},
	{certs.ErrExpired, "certs/expired"},
	{certs.ErrExpiresSoon, "certs/expires-soon"},
	{certs.ErrNotYetValid, "certs/not-yet-valid"},
}

func kindCode(kind error) string {
	for _, k := range kindCodes {
		if kind == k.kind {
			return k.code
		}
	}
	return ""
}
