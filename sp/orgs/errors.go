package orgs

import "errors"

// Kinds of refusal the package adds to sp's; test with errors.Is.
var (
	// ErrEmailDomain: the signed-in user's e-mail address or UPN is outside the
	// organization's allowed e-mail domains.
	ErrEmailDomain = errors.New("orgs: e-mail domain not allowed")
	// ErrTenant: the response's Entra tenantid claim is not the tenant of the
	// configured issuer.
	ErrTenant = errors.New("orgs: Entra tenant mismatch")
)
