package certs

import (
	"crypto/x509"
	"fmt"
	"time"
)

// ExpiryError reports a certificate outside, or close to the end of, its validity
// period. Kind is ErrExpired, ErrExpiresSoon or ErrNotYetValid.
type ExpiryError struct {
	Kind       error
	Subject    string
	Thumbprint string
	NotBefore  time.Time
	NotAfter   time.Time
	Now        time.Time
}

func (e *ExpiryError) Error() string {
	id := fmt.Sprintf("%q (thumbprint %s)", e.Subject, e.Thumbprint)
	switch e.Kind {
	case ErrExpired:
		return fmt.Sprintf("%v: %s expired on %s, %s ago: in Entra, create a new certificate under \"SAML Certificates\", make it active, and paste it here",
			e.Kind, id, e.NotAfter.UTC().Format(time.DateOnly), days(e.Now.Sub(e.NotAfter)))
	case ErrExpiresSoon:
		return fmt.Sprintf("%v: %s expires on %s, in %s: in Entra, add a new certificate under \"SAML Certificates\", paste it here beside the current one, then make it active",
			e.Kind, id, e.NotAfter.UTC().Format(time.DateOnly), days(e.NotAfter.Sub(e.Now)))
	default:
		return fmt.Sprintf("%v: %s is valid only from %s (now is %s): check this server's clock",
			e.Kind, id, e.NotBefore.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
	}
}

// Is reports the sentinel kind, so errors.Is(err, ErrExpired) works.
func (e *ExpiryError) Is(target error) bool { return target == e.Kind }

func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	switch {
	case n == 1:
		return "1 day"
	case n < 1:
		return "less than a day"
	}
	return fmt.Sprintf("%d days", n)
}

// CheckExpiry reports whether c is valid at now and stays valid for at least within
// more: nil when it does, an *ExpiryError otherwise. IdP signing certificates expire
// (Entra's last three years) and the admin must rotate them before they do, so callers
// typically warn on ErrExpiresSoon (e.g. within 30 days) and alert on ErrExpired.
//
// Signature checks in this module pin certificates rather than judge their dates; this
// function is how an application sees the dates.
func CheckExpiry(c *x509.Certificate, now time.Time, within time.Duration) error {
	if c == nil {
		return &InputError{Kind: ErrEmpty, Found: "no certificate (nil)", Expected: expected}
	}
	e := &ExpiryError{Subject: c.Subject.String(), Thumbprint: Thumbprint(c), NotBefore: c.NotBefore, NotAfter: c.NotAfter, Now: now}
	switch {
	case now.After(c.NotAfter):
		e.Kind = ErrExpired
	case now.Before(c.NotBefore):
		e.Kind = ErrNotYetValid
	case now.Add(within).After(c.NotAfter):
		e.Kind = ErrExpiresSoon
	default:
		return nil
	}
	return e
}
