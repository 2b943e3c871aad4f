package sptest

import "github.com/ssokit/saml/internal/samltest"

// Claim names Entra writes (Attribute Name URIs), the same as the assertion package's.
const (
	ClaimTenantID         = "http://schemas.microsoft.com/identity/claims/tenantid"
	ClaimObjectID         = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	ClaimDisplayName      = "http://schemas.microsoft.com/identity/claims/displayname"
	ClaimIdentityProvider = "http://schemas.microsoft.com/identity/claims/identityprovider"
	ClaimAuthnMethods     = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	ClaimGivenName        = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	ClaimSurname          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	ClaimEmail            = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	ClaimName             = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	ClaimGroups           = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	ClaimRoles            = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
	// ClaimGroupsLink takes the place of the groups claim when the user is in more than
	// MaxGroups groups (groups overage): a Graph URL to fetch them from.
	ClaimGroupsLink = "http://schemas.microsoft.com/claims/groups.link"
)

// MaxGroups is the most groups Entra puts in a SAML token; above it, it sends
// ClaimGroupsLink instead of ClaimGroups.
const MaxGroups = 150

// NameID formats an AuthnRequest may ask for (NameIDPolicy Format). Any other format is
// refused with AADSTS75016, as Entra refuses it.
const (
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
)

// Claim is one extra attribute with its values in order.
type Claim struct {
	Name   string
	Values []string
}

// User is the directory user who signs in.
type User struct {
	// UPN is the user principal name: the NameID (emailAddress format, Entra's default
	// "user.userprincipalname") and the name claim. Required.
	UPN         string
	ObjectID    string // objectidentifier claim: the user's stable ID
	DisplayName string
	GivenName   string
	Surname     string
	Email       string // emailaddress claim, left out when empty (a user without a mailbox)

	// Groups are group object IDs for the groups claim. More than MaxGroups and the token
	// carries the groups.link claim instead, as Entra's does.
	Groups []string
	// Roles are the app roles assigned to the user: the role claim.
	Roles []string
	// Claims are appended after all of the above (custom claims from "Attributes & Claims").
	Claims []Claim

	// NotAssigned refuses the sign-in with AADSTS50105, as Entra does when "Assignment
	// required?" is on and the user is not assigned to the application.
	NotAssigned bool
}

// DefaultUser is the user who signs in when none is configured.
func DefaultUser() User {
	return User{
		UPN:         samltest.UserEmail,
		ObjectID:    samltest.UserObjectID,
		DisplayName: samltest.UserDisplayName,
		GivenName:   samltest.UserGivenName,
		Surname:     samltest.UserSurname,
		Email:       samltest.UserEmail,
	}
}

// claims are u's claims in the order Entra writes them.
func (idp *IdP) claims(u User) []samltest.Attribute {
	var out []samltest.Attribute
	add := func(name string, values ...string) {
		if len(values) > 0 && (len(values) > 1 || values[0] != "") {
			out = append(out, samltest.Attribute{Name: name, Values: values})
		}
	}
	add(ClaimTenantID, idp.tenant)
	add(ClaimObjectID, u.ObjectID)
	add(ClaimDisplayName, u.DisplayName)
	add(ClaimIdentityProvider, idp.EntityID())
	add(ClaimAuthnMethods, "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password")
	add(ClaimGivenName, u.GivenName)
	add(ClaimSurname, u.Surname)
	add(ClaimEmail, u.Email)
	add(ClaimName, u.UPN)
	switch {
	case len(u.Groups) > MaxGroups:
		add(ClaimGroupsLink, "https://graph.windows.net/"+idp.tenant+"/users/"+u.ObjectID+"/getMemberObjects")
	case len(u.Groups) > 0:
		add(ClaimGroups, u.Groups...)
	}
	if len(u.Roles) > 0 {
		add(ClaimRoles, u.Roles...)
	}
	for _, c := range u.Claims {
		out = append(out, samltest.Attribute{Name: c.Name, Values: c.Values})
	}
	return out
}
