// Package metadata describes the two parties of SAML single sign-on: the identity
// provider an application trusts (IdP) and the application itself as a service
// provider (SP).
//
// An IdP comes either from the two values Entra ID's setup page shows, the Login URL
// and the "Certificate (Base64)":
//
//	idp, err := metadata.FromAzure(
//		"https://login.microsoftonline.com/<tenant-id>/saml2", pastedCertificate)
//
// or from IdP metadata XML, such as Entra's "Federation Metadata XML" download:
//
//	idp, err := metadata.ParseIdP(federationMetadataXML)
//
// or, for an IdP without metadata, from the values an admin copies from its settings:
//
//	idp, err := metadata.NewIdP(entityID, ssoURL, pastedCertificate)
//
// All give the entity ID to expect as Issuer, the sign-in URL, and every certificate
// to trust (two during a key rollover). Errors say what was pasted and what is
// expected, with Field naming the form field (FieldSSOURL, FieldEntityID,
// FieldCertificate) so an app can show each where it belongs; the addresses Entra admins
// paste by mistake (the Entra Identifier, My Apps and portal addresses, the App
// Federation Metadata URL) are recognised and answered with the value to paste.
// VerifySignature and ParseSignedIdP check a metadata file's own signature
// against a certificate the caller already trusts.
//
// SP.XML renders the application's own metadata for the IdP, e.g. for Entra's
// "Upload metadata file":
//
//	xml, err := metadata.SP{EntityID: entityID, ACSURL: acsURL}.XML()
package metadata
