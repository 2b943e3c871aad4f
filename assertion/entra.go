package assertion

import "errors"

// Claim names Entra ID (Azure AD) puts in SAML assertions.
const (
	ClaimObjectID         = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	ClaimTenantID         = "http://schemas.microsoft.com/identity/claims/tenantid"
	ClaimDisplayName      = "http://schemas.microsoft.com/identity/claims/displayname"
	ClaimIdentityProvider = "http://schemas.microsoft.com/identity/claims/identityprovider"
	ClaimAuthnMethods     = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	ClaimName             = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	ClaimEmail            = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	ClaimGivenName        = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	ClaimSurname          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	ClaimGroups           = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	ClaimRoles            = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
	// ClaimGroupsLink replaces the groups claim when a user is in more groups than
	// Entra puts in a token (150 for SAML): its value is a Microsoft Graph URL to fetch them.
	ClaimGroupsLink = "http://schemas.microsoft.com/claims/groups.link"
)

// ErrGroupsOverage means the IdP left the group list out because the user is in too many
// groups; GroupsOverage returns where to fetch them. It never means "no groups".
var ErrGroupsOverage = errors.New("assertion: groups omitted by the IdP (overage); fetch them from the groups.link URL")

// ObjectID is the user's immutable Entra object ID (a GUID), the best key for an account.
func (a *Assertion) ObjectID() string { return a.First(ClaimObjectID) }

// TenantID is the Entra tenant (directory) ID the user signed in with.
func (a *Assertion) TenantID() string { return a.First(ClaimTenantID) }

// Name is the user principal name (UPN), e.g. alice@contoso.com, from the name claim.
func (a *Assertion) Name() string { return a.First(ClaimName) }

// UPN is Name, under the name Entra's portal uses.
func (a *Assertion) UPN() string { return a.Name() }

// Email is the emailaddress claim; it can be empty for users without a mailbox. For
// other IdPs it falls back to the LDAP mail attribute (AttrMailOID, "email", "mail").
func (a *Assertion) Email() string {
	return a.firstOf(ClaimEmail, AttrMailOID, "email", "mail")
}

// DisplayName is the user's display name; for other IdPs it falls back to the LDAP
// displayName attribute (AttrDisplayNameOID, "displayName").
func (a *Assertion) DisplayName() string {
	return a.firstOf(ClaimDisplayName, AttrDisplayNameOID, "displayName")
}

// GivenName is the user's first name.
func (a *Assertion) GivenName() string { return a.First(ClaimGivenName) }

// Surname is the user's last name.
func (a *Assertion) Surname() string { return a.First(ClaimSurname) }

// IdentityProvider is who authenticated the user: the tenant's issuer for members, or
// e.g. "live.com" for a guest with a Microsoft account.
func (a *Assertion) IdentityProvider() string { return a.First(ClaimIdentityProvider) }

// AuthnMethods are the authentication method references (password, mfa, …).
func (a *Assertion) AuthnMethods() []string { return a.Values(ClaimAuthnMethods) }

// Roles are the app roles assigned to the user.
func (a *Assertion) Roles() []string { return a.Values(ClaimRoles) }

// Groups returns the group IDs (or names, as configured in Entra) the user is a member
// of. When Entra left them out because there are too many, it returns ErrGroupsOverage:
// call GroupsOverage for the URL to fetch them from.
func (a *Assertion) Groups() ([]string, error) {
	if _, ok := a.GroupsOverage(); ok {
		return nil, ErrGroupsOverage
	}
	return a.Values(ClaimGroups), nil
}

// GroupsOverage reports whether the IdP omitted the groups claim because the user is in
// too many groups, and the link (a Microsoft Graph URL) to fetch them from.
func (a *Assertion) GroupsOverage() (link string, ok bool) {
	attr, ok := a.Attributes[ClaimGroupsLink]
	if !ok {
		return "", false
	}
	if len(attr.Values) > 0 {
		link = attr.Values[0]
	}
	return link, true
}
