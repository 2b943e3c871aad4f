package sp

import "github.com/ssokit/saml/metadata"

// Metadata renders this SP's SAML metadata: Entity ID and ACS URL, plus Key's
// certificate for encryption (the SP can decrypt with it) and, when requests or logout
// messages are signed, for signing. It is the file an admin can upload to the IdP (Entra: Basic SAML
// Configuration → Upload metadata file) instead of typing Identifier and Reply URL.
func (s *SP) Metadata() ([]byte, error) {
	m := metadata.SP{
		EntityID:             s.cfg.EntityID,
		ACSURL:               s.cfg.ACSURL,
		SLOURL:               s.cfg.Logout.URL, // listed only when logout messages are served
		AuthnRequestsSigned:  s.cfg.SignAuthnRequests,
		WantAssertionsSigned: s.cfg.RequireSignedAssertion,
	}
	if kp := s.cfg.Key; kp != nil && kp.Certificate != nil {
		m.EncryptionCertificate = kp.Certificate
		if s.signsLogout() { // SignAuthnRequests, or Logout.SignMessages: IdPs verify logout messages with it

			m.SigningCertificate = kp.Certificate
		}
	}
	return m.XML()
}
