package samltest

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

// The fixed world every fixture lives in. Tests pin their SP's clock to Now.
const (
	TenantID      = "7c1e4f2a-93b5-4d08-a6e1-2f8b0c9d5e37" // the customer's Entra tenant
	OtherTenantID = "d4a9b2c6-1e7f-4380-b5d2-9c6e0f1a3b84" // somebody else's tenant

	SPEntityID = "https://app.example/organizations/acme/saml/metadata"
	ACSURL     = "https://app.example/organizations/acme/saml/consume"

	// RequestID is the AuthnRequest ID a default (SP-initiated) response answers.
	RequestID = "id3f9c2b7e5a1d4c8e9b0f6a2d7c4e1b58"
)

// Now is the instant every default response is issued at.
var Now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// Clock returns Now; use it as the SP's Config.Now.
func Clock() time.Time { return Now }

// IssuerFor is the Issuer Entra uses for a tenant.
func IssuerFor(tenantID string) string { return "https://sts.windows.net/" + tenantID + "/" }

// IdP is a test identity provider: an Entra tenant and the key it signs with.
type IdP struct {
	TenantID string
	EntityID string // the Issuer it writes
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate // placed in KeyInfo of every signature it makes
}

// NewIdP is an IdP for tenantID signing with p.
func NewIdP(tenantID string, p Pair) *IdP {
	return &IdP{TenantID: tenantID, EntityID: IssuerFor(tenantID), Key: p.Key, Cert: p.Cert}
}

// DefaultIdP is the customer's tenant with its current signing certificate.
func DefaultIdP() *IdP { return NewIdP(TenantID, loadPair(keyIdP)) }

// NextIdP is the same tenant signing with its next certificate (certificate rollover).
func NextIdP() *IdP { return NewIdP(TenantID, loadPair(keyIdPNext)) }

// OtherTenantIdP is a genuine, different Entra tenant (cross-tenant confusion, #22).
func OtherTenantIdP() *IdP { return NewIdP(OtherTenantID, loadPair(keyOther)) }

// AttackerIdP claims to be the customer's tenant, signs with a key nobody trusts, and
// puts in KeyInfo a certificate that clones the real one's subject, serial and validity.
func AttackerIdP() *IdP {
	real := loadPair(keyIdP).Cert
	atk := loadPair(keyAttacker)
	clone, err := Clone(real, atk.Key)
	if err != nil {
		panic("samltest: clone certificate: " + err.Error())
	}
	return &IdP{TenantID: TenantID, EntityID: IssuerFor(TenantID), Key: atk.Key, Cert: clone}
}

// Metadata is what the SP must be configured with to trust this IdP: the values an
// Entra admin copies (Login URL, Certificate (Base64)) in parsed form.
func (idp *IdP) Metadata() *metadata.IdP {
	return &metadata.IdP{
		EntityID:     idp.EntityID,
		SSOURL:       "https://login.microsoftonline.com/" + idp.TenantID + "/saml2",
		SLOURL:       "https://login.microsoftonline.com/" + idp.TenantID + "/saml2",
		Certificates: []*x509.Certificate{idp.Cert},
	}
}

// SP is the service provider the fixtures are addressed to.
type SP struct {
	EntityID string
	ACSURL   string
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate
}

// DefaultSP is the SP every default response is addressed to, with its own key pair
// (EncryptedAssertions are encrypted to Cert).
func DefaultSP() SP {
	p := loadPair(keySP)
	return SP{EntityID: SPEntityID, ACSURL: ACSURL, Key: p.Key, Cert: p.Cert}
}

// KeyPair is the SP key in the form sp.Config takes it.
func (s SP) KeyPair() *certs.KeyPair { return &certs.KeyPair{Key: s.Key, Certificate: s.Cert} }

// ID makes an Entra-style ID ("_" + GUID) that is a pure function of label, so fixtures
// are reproducible and tests can make as many distinct IDs as they need.
func ID(label string) string {
	h := sha256.Sum256([]byte("ssokit/samltest " + label))
	return fmt.Sprintf("_%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
