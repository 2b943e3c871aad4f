package sp

import (
	"net/http"

	"github.com/ssokit/saml/metadata"
)

// spMetadata renders this SP's metadata: Entity ID and ACS URL, plus Key's certificate
// for encryption (the SP can decrypt with it) and, when requests are signed, for signing.
func spMetadata(s *SP) ([]byte, error) {
	m := metadata.SP{
		EntityID:             s.cfg.EntityID,
		ACSURL:               s.cfg.ACSURL,
		AuthnRequestsSigned:  s.cfg.SignAuthnRequests,
		WantAssertionsSigned: s.cfg.RequireSignedAssertion,
	}
	if kp := s.cfg.Key; kp != nil && kp.Certificate != nil {
		m.EncryptionCertificate = kp.Certificate
		if s.cfg.SignAuthnRequests {
			m.SigningCertificate = kp.Certificate
		}
	}
	return m.XML()
}

// Metadata serves the SP's SAML metadata, the file an admin can upload to the IdP
// (Entra: Basic SAML Configuration → Upload metadata file) instead of typing the
// Identifier and Reply URL.
func (h *Handlers) Metadata() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.Header().Set("Content-Disposition", `attachment; filename="sp-metadata.xml"`)
		w.Write(h.metadata)
	})
}
