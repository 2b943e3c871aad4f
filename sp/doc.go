// Package sp makes a Go web application a SAML 2.0 service provider (SP) for one
// identity provider, Microsoft Entra ID first. It is the protocol: AuthnRequests,
// response validation, [SP.Diagnose], the replay cache and the errors. The net/http
// side (login and ACS handlers, cookies, sessions, middleware) is package sp/web, built
// only on what this package exports.
//
// Configure a [Config] with the two values you give the IdP (Entity ID and ACS URL) and
// the two it gives you (Login URL and signing certificate), then validate what is posted
// to the ACS URL:
//
//	idp, err := metadata.FromAzure(loginURL, certificatePEM)
//	provider, err := sp.New(sp.Config{
//		EntityID:               "https://app.example/saml",
//		ACSURL:                 "https://app.example/saml/consume",
//		IdP:                    idp,
//		RequireSignedAssertion: true,
//	})
//	// in the ACS handler:
//	a, err := provider.ValidateResponse(r.Context(), r.PostFormValue("SAMLResponse"), requestIDs...)
//	if err != nil {
//		log.Print(err)                                           // precise, for the admin
//		http.Error(w, sp.UserMessage(err), http.StatusForbidden) // generic, for the user
//		return
//	}
//	// a.NameID.Value, a.ObjectID(), a.Email() … identify the user.
//
// # Pipeline
//
// [SP.ValidateResponse] runs one table of checks, in order: the form value's size and
// base64; a gate that refuses DTDs, entities, duplicate attributes and oversized input
// before the one parse ([Limits]); the shape (exactly one assertion, a direct child of
// the Response); the Response's signature; decryption ([Config.Key]); the assertion's
// signature and what the signatures cover, checked only against the configured IdP
// certificates under a strict profile (one reference to the signed element, exclusive
// C14N, RSA-SHA256 or stronger); Status, Destination, Issuer, the bearer Recipient, the
// time windows ([Config.ClockSkew]), Audience and InResponseTo; and, last, the replay
// cache: each assertion ID is accepted once, and each AuthnRequest is answered once
// ([Config.LoginTimeout]), in keys scoped by SP and IdP ([ReplayCache]). Every value in
// the returned [assertion.Assertion] is read from what a signature covered.
// [SP.Diagnose] runs the same table and reports every check, for an admin's "Test SAML
// configuration" page. SECURITY.md states the rules and what each costs.
//
// # Errors
//
// A rejection is an [*Error] naming the check, what was expected, what arrived and what
// to change at the IdP, in its portal's words. It wraps one kind for [errors.Is]:
// [ErrSignature], [ErrAudience], [ErrReplay], [ErrStatus] (the IdP said no; reach its
// [StatusError] with [errors.As]) and the others listed below. Show end users only
// [UserMessage], which is the same for every failure but an outage; log the error
// itself ([Config.Logger] does, once per rejection, with the attributes check, kind
// ([KindOf]), fix (the advice's Code…) and ref (the reference [WithRef] gives); an
// outage at level ERROR, any other rejection at WARN).
//
// # Fleet
//
// Several app servers behind a load balancer act as one SP when they share the replay
// cache ([Config.ReplayCache]; sp/redisstore keeps it in Redis, and sp/web's sessions
// too). A cache that cannot answer makes logins fail closed with [ErrUnavailable],
// never accepted with their replay status unknown.
package sp
