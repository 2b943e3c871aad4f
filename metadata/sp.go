package metadata

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"time"

	"github.com/crewjam/saml"
)

// SP describes a service provider for its SAML metadata: the document an admin uploads
// to the IdP (Entra: "Upload metadata file" in Basic SAML Configuration) instead of
// typing the Identifier and Reply URL by hand.
type SP struct {
	EntityID string // Identifier (Entity ID); required
	ACSURL   string // Assertion Consumer Service (Reply URL), HTTP-POST binding; required
	SLOURL   string // Single Logout (Logout URL), HTTP-Redirect binding; empty omits it

	// SigningCertificate is published with use="signing" (for signed AuthnRequests and
	// LogoutRequests); nil omits it. EncryptionCertificate is published with
	// use="encryption" (the IdP encrypts assertions to it); nil omits it.
	SigningCertificate    *x509.Certificate
	EncryptionCertificate *x509.Certificate

	AuthnRequestsSigned  bool // requires SigningCertificate
	WantAssertionsSigned bool

	NameIDFormats []string // e.g. urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress; empty omits them

	ValidUntil    time.Time     // zero omits validUntil
	CacheDuration time.Duration // zero omits cacheDuration
}

// XML renders the metadata as an EntityDescriptor with one SPSSODescriptor. It is
// unsigned: Entra and most IdPs take an uploaded file as the admin's own statement.
func (m SP) XML() ([]byte, error) {
	if m.EntityID == "" {
		return nil, &Error{Kind: ErrSP, Field: "EntityID", Found: "nothing", Expected: "the SP Entity ID, e.g. https://app.example/saml"}
	}
	if err := checkURL("ACSURL", m.ACSURL, true); err != nil {
		return nil, err
	}
	if err := checkURL("SLOURL", m.SLOURL, false); err != nil {
		return nil, err
	}
	if m.AuthnRequestsSigned && m.SigningCertificate == nil {
		return nil, &Error{Kind: ErrSP, Field: "AuthnRequestsSigned", Found: "no SigningCertificate",
			Expected: "the certificate the IdP verifies signed requests with"}
	}
	yes, no := true, false
	flag := func(b bool) *bool {
		if b {
			return &yes
		}
		return &no
	}
	desc := saml.SPSSODescriptor{
		SSODescriptor: saml.SSODescriptor{
			RoleDescriptor: saml.RoleDescriptor{ProtocolSupportEnumeration: ProtocolSAML20},
		},
		AuthnRequestsSigned:  flag(m.AuthnRequestsSigned),
		WantAssertionsSigned: flag(m.WantAssertionsSigned),
		AssertionConsumerServices: []saml.IndexedEndpoint{{
			Binding: BindingHTTPPost, Location: m.ACSURL, Index: 1, IsDefault: &yes,
		}},
	}
	for _, kd := range []struct {
		use  string
		cert *x509.Certificate
	}{{"signing", m.SigningCertificate}, {"encryption", m.EncryptionCertificate}} {
		if kd.cert == nil {
			continue
		}
		desc.KeyDescriptors = append(desc.KeyDescriptors, saml.KeyDescriptor{
			Use: kd.use,
			KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{
				{Data: base64.StdEncoding.EncodeToString(kd.cert.Raw)},
			}}},
		})
	}
	if m.SLOURL != "" {
		// Entra sends and accepts logout messages with the HTTP-Redirect binding only.
		desc.SingleLogoutServices = []saml.Endpoint{{Binding: BindingHTTPRedirect, Location: m.SLOURL}}
	}
	for _, f := range m.NameIDFormats {
		desc.NameIDFormats = append(desc.NameIDFormats, saml.NameIDFormat(f))
	}
	ed := saml.EntityDescriptor{
		EntityID:         m.EntityID,
		ValidUntil:       m.ValidUntil.UTC(),
		CacheDuration:    m.CacheDuration,
		SPSSODescriptors: []saml.SPSSODescriptor{desc},
	}
	if m.ValidUntil.IsZero() {
		ed.ValidUntil = time.Time{}
	}
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, &Error{Kind: ErrSP, Found: "values that do not marshal", Err: err}
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

func checkURL(field, s string, required bool) error {
	if s == "" && !required {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &Error{Kind: ErrSP, Field: field, Found: fmt.Sprintf("%q", s), Expected: "an absolute http(s) URL, e.g. https://app.example/saml/acs"}
	}
	return nil
}
