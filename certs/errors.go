package certs

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. Every error this package returns wraps one of them.
var (
	// ErrEmpty means there was nothing to read.
	ErrEmpty = errors.New("certs: empty input")
	// ErrNotCertificate means the input is readable but is something else: a private
	// key, a certificate request, metadata XML, a thumbprint, a public key.
	ErrNotCertificate = errors.New("certs: not a certificate")
	// ErrMalformed means the input looks like a certificate but is damaged: a truncated
	// PEM block, broken base64, DER that does not parse.
	ErrMalformed = errors.New("certs: malformed certificate")
	// ErrNotSigning means a certificate was read but must not be trusted to sign SAML
	// messages: a certificate authority of a pasted chain, or too many certificates.
	ErrNotSigning = errors.New("certs: not an IdP signing certificate")
	// ErrKey means a private key could not be used: wrong format, encrypted,
	// unsupported algorithm, or it does not belong to the certificate.
	ErrKey = errors.New("certs: unusable private key")
	// ErrExpired means a certificate's validity period has ended.
	ErrExpired = errors.New("certs: certificate expired")
	// ErrExpiresSoon means a certificate is still valid but ends within the warning window.
	ErrExpiresSoon = errors.New("certs: certificate expires soon")
	// ErrNotYetValid means a certificate's validity period has not started.
	ErrNotYetValid = errors.New("certs: certificate not yet valid")
)

// expected is what Parse accepts, said the way an admin reads it.
const expected = `an X.509 certificate: PEM ("-----BEGIN CERTIFICATE-----", Entra's "Certificate (Base64)"), bare base64, or DER (Entra's "Certificate (Raw)")`

// InputError says what was found where a certificate or key was expected, and what to do.
type InputError struct {
	Kind     error  // one of the Err… sentinels
	Found    string // what arrived, e.g. `a private key (PEM "RSA PRIVATE KEY")`
	Expected string // what was wanted
	Hint     string // what to change, may be empty
	Err      error  // underlying cause, may be nil
}

func (e *InputError) Error() string {
	msg := fmt.Sprintf("%v: found %s, expected %s", e.Kind, e.Found, e.Expected)
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Is reports the sentinel kind, so errors.Is(err, ErrNotCertificate) works.
func (e *InputError) Is(target error) bool { return target == e.Kind }

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(kind error, found, hint string, cause error) error {
	return &InputError{Kind: kind, Found: found, Expected: expected, Hint: hint, Err: cause}
}
