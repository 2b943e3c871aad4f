package metadata

import "crypto/x509"

// IdP is what a service provider must know about an identity provider.
type IdP struct {
	EntityID     string              // e.g. https://sts.windows.net/<tenant-id>/
	SSOURL       string              // SingleSignOnService (HTTP-Redirect)
	SLOURL       string              // SingleLogoutService, if any
	Certificates []*x509.Certificate // every trusted signing certificate (rollover = several)
}
