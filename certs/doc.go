// Package certs reads the X.509 certificates identity providers hand out, in whatever
// form an admin pastes or downloads them, and manages a service provider's own key pair.
//
// Entra ID offers its SAML signing certificate as "Certificate (Base64)" (PEM),
// "Certificate (Raw)" (DER) and inside "Federation Metadata XML" (bare base64). Parse
// reads all of them and explains, in terms an admin can act on, what else was pasted:
// a private key, a CSR, the metadata file, a thumbprint, a truncated copy. ParseSigning
// is Parse for certificates to be trusted as an IdP's signers: it refuses a pasted chain,
// whose certificate authority would otherwise become a SAML signer for anyone.
//
//	cs, err := certs.Parse([]byte(pasted))
//	if err != nil {
//		return err // e.g. "certs: not a certificate: found a SHA-1 thumbprint (40 hex digits), expected …"
//	}
//	log.Printf("IdP certificate %s", certs.Thumbprint(cs[0])) // as Entra shows it
//	if err := certs.CheckExpiry(cs[0], time.Now(), 30*24*time.Hour); err != nil {
//		log.Print(err) // expired, or expires within 30 days: rotate it in Entra
//	}
//
// An SP's own pair (to sign AuthnRequests, or to receive encrypted assertions) comes
// from LoadKeyPair in production, or GenerateKeyPair in development and tests.
package certs
