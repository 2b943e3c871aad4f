// Package demoidp is an in-process identity provider that behaves like Microsoft Entra ID
// for demos and tests: no Azure tenant needed.
//
// It runs crewjam/saml's IdentityProvider (request parsing, service provider lookup,
// IdP-initiated login) and shapes what it sends like Entra does: the issuer
// https://sts.windows.net/<tenant-id>/, Entra's claim names, an unprefixed assertion signed
// with RSA-SHA256 and exclusive C14N (Entra's default "Sign SAML assertion"), a Login URL of
// the form <base>/<tenant-id>/saml2, and a "My Apps" portal for IdP-initiated sign-in.
//
// Mount it on a server and register each service provider, as an Entra admin creates an
// Enterprise application:
//
//	idp, _ := demoidp.New(demoidp.Config{BaseURL: "http://127.0.0.1:8080/demo-idp"})
//	mux.Handle("/demo-idp/", idp)
//	idp.RegisterSP("https://app.example/saml", "https://app.example/saml/consume")
//	loginURL, cert := idp.LoginURL(), idp.CertificatePEM() // what the admin pastes into the SP
//
// Its signing certificates rotate the way an Entra admin rotates them in the
// application's "SAML Certificates" section (on the /apps page, or NewCertificate,
// MakeCertificateActive and DeleteCertificate): a new certificate is published, inactive,
// in the federation metadata at once; "Make certificate active" makes it sign; the old
// one is published until deleted. The metadata is signed, Entra-shaped, and served per
// application at the App Federation Metadata Url (…/federationmetadata.xml?appid=<app-id>).
// An SP's metadata.Fetcher takes https on public addresses only, so for a demo on
// loopback StartMetadataTLS serves the metadata over https with its own certificate
// authority, and MetadataServer.UnsafeDemoOnlyFetcher is the one Fetcher that reaches it.
//
// Passwords are shown on its login page. It is a demo: never use it to protect anything.
package demoidp
