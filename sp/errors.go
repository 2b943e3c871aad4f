package sp

import "errors"

// Kinds of rejection; test with errors.Is.
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
)
