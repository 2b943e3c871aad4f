package metadata

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. Every error this package returns wraps one of them.
var (
	// ErrLoginURL means the Login URL (sign-on URL) is unusable: for FromAzure, not an
	// Entra SAML endpoint we can derive an issuer from; for NewIdP, not an absolute https
	// URL; for both, another address an admin copied by mistake (the Entra Identifier, a
	// My Apps or portal address, the federation metadata URL).
	ErrLoginURL = errors.New("metadata: unusable Login URL")
	// ErrEntityID means the IdP's entity ID (the Issuer of its responses) is missing or
	// is not an absolute URI.
	ErrEntityID = errors.New("metadata: unusable IdP entity ID")
	// ErrCertificate means the IdP certificate could not be read (the wrapped error comes
	// from package certs and says what was pasted instead).
	ErrCertificate = errors.New("metadata: unusable IdP certificate")
	// ErrMalformed means the metadata is not XML we will read: not well-formed, a DOCTYPE
	// or entity declaration, too large or too deeply nested.
	ErrMalformed = errors.New("metadata: malformed XML")
	// ErrNoIdP means the XML is metadata but lacks what an SP needs from an IdP: an
	// EntityDescriptor with a SAML 2.0 IDPSSODescriptor, an entityID, a signing
	// certificate, a single sign-on endpoint.
	ErrNoIdP = errors.New("metadata: no usable SAML 2.0 IdP")
	// ErrSignature means the metadata's own signature is missing, invalid or made by a
	// key other than the ones given.
	ErrSignature = errors.New("metadata: signature not valid")
	// ErrSP means SP metadata could not be produced from the given values.
	ErrSP = errors.New("metadata: invalid SP metadata values")
)

// The fields of an IdP an admin configures by hand, as Error.Field names them. They are
// stable: an app maps them to its own form fields to show each message where it belongs.
const (
	FieldSSOURL      = "Login URL"     // Entra: "Login URL"; other IdPs: the single sign-on URL
	FieldEntityID    = "IdP entity ID" // Entra: "Microsoft Entra Identifier"
	FieldCertificate = "certificate"   // Entra: "Certificate (Base64)"
)

// Error carries what was expected and what arrived, for the admin who must fix the
// configuration.
type Error struct {
	Kind     error  // one of the Err… sentinels
	Field    string // what was being read, e.g. "login URL", "entityID"
	Found    string // what arrived
	Expected string // what was wanted
	Hint     string // what to change, may be empty
	Err      error  // underlying cause, may be nil
}

func (e *Error) Error() string {
	msg := e.Kind.Error()
	if e.Field != "" {
		msg += ": " + e.Field
	}
	if e.Found != "" {
		msg += fmt.Sprintf(": found %s", e.Found)
	}
	if e.Expected != "" {
		msg += fmt.Sprintf(", expected %s", e.Expected)
	}
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Is reports the sentinel kind, so errors.Is(err, ErrLoginURL) works.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }
