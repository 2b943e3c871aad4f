package metadata

import "crypto/x509"

// IdP is what a service provider must know about an identity provider.
type IdP struct {
	EntityID     string              // e.g. https://sts.windows.net/<tenant-id>/
	SSOURL       string              // SingleSignOnService (HTTP-Redirect)
	SLOURL       string              // SingleLogoutService, if any
	Certificates []*x509.Certificate // every trusted signing certificate (rollover = several)

	// LogoutResponseIssuer is the Issuer the IdP writes into its LogoutResponses when it
	// is not EntityID: Entra writes https://login.microsoftonline.com/<tenant-id>/ there,
	// while its login responses and LogoutRequests carry EntityID. FromAzure and ParseIdP
	// set it for Entra. A LogoutResponse is accepted from EntityID or from this value;
	// empty means EntityID only.
	LogoutResponseIssuer string

	// SSOBinding is the binding of SSOURL: BindingHTTPRedirect whenever the IdP offers
	// it, else BindingHTTPPost.
	SSOBinding string
	// SLOBinding is the binding of SLOURL, chosen the same way; empty without SLOURL.
	SLOBinding string
}

// SAML 2.0 binding and protocol identifiers used in metadata.
const (
	BindingHTTPRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingHTTPPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	ProtocolSAML20      = "urn:oasis:names:tc:SAML:2.0:protocol"
)
