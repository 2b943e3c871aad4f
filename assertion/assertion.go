package assertion

import "time"

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
}
