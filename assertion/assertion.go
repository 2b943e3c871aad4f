package assertion

import (
	"crypto/x509"
	"time"
)

// NameID is the subject's identifier as the IdP sent it.
type NameID struct {
	Value           string
	Format          string
	NameQualifier   string
	SPNameQualifier string
	SPProvidedID    string
}

// Attribute is one SAML attribute with every value in document order.
type Attribute struct {
	Name         string
	NameFormat   string
	FriendlyName string
	Values       []string
}

// Assertion is a validated SAML assertion. Every field was read from the element that a
// trusted signature covered.
type Assertion struct {
	ID                   string
	Issuer               string
	IssueInstant         time.Time
	NameID               NameID
	SessionIndex         string
	AuthnInstant         time.Time
	SessionNotOnOrAfter  time.Time // zero when the IdP did not limit the session
	AuthnContextClassRef string
	NotBefore            time.Time
	NotOnOrAfter         time.Time
	Audiences            []string
	InResponseTo         string               // empty for an IdP-initiated response
	Attributes           map[string]Attribute // keyed by Name
	AttributeNames       []string             // Names in document order

	// Signer is the configured IdP certificate whose signature covered this assertion:
	// the assertion's own signature's, or the Response's when only the Response was
	// signed. During a certificate rollover it tells which certificate is in use.
	// Certificates are left out of JSON (store a thumbprint, e.g. certs.Thumbprint).
	Signer *x509.Certificate `json:"-"`
	// SignatureAlgorithm is the URI of that signature's SignatureMethod, e.g.
	// http://www.w3.org/2001/04/xmldsig-more#rsa-sha256.
	SignatureAlgorithm string
	// ResponseSigner is the certificate that verified the Response's signature, nil
	// when the Response was not signed.
	ResponseSigner *x509.Certificate `json:"-"`
}
