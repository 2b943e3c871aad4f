// Package assertion holds the result of a validated SAML login: who the user is (the
// NameID), when and how they authenticated, and the attributes (claims) the IdP sent.
//
// An *Assertion comes from sp.(*SP).ValidateResponse, which reads every value from the
// element a trusted signature covered; this package never parses XML itself.
//
// Attributes are keyed by their Name with every value in document order. The Entra ID
// accessors read the claims Entra sends by default:
//
//	a, err := provider.ValidateResponse(ctx, r.PostFormValue("SAMLResponse"), requestIDs...)
//	if err != nil { … }
//	user := a.ObjectID()          // stable account key
//	email := a.Email()
//	groups, err := a.Groups()     // ErrGroupsOverage when Entra left them out
package assertion
