// Package web is the net/http side of an [sp.SP]: the login, ACS and metadata handlers,
// the cookies that bind each login to the browser that started it, RelayState and
// return URLs, the default session, and middleware that requires it.
//
//	provider, err := sp.New(sp.Config{EntityID: …, ACSURL: …, IdP: idp})
//	h, err := web.New(provider, web.Config{CookieKey: key32}) // same key on every server
//	mux.Handle("GET /saml/login", h.Login())
//	mux.Handle("POST /saml/acs", h.ACS())
//	mux.Handle("GET /saml/metadata", h.Metadata())
//	mux.Handle("POST /logout", h.SignOut())
//	mux.Handle("/saml/logout", h.Logout()) // Single Logout, when sp.Config.Logout.URL is set
//	mux.Handle("/", h.RequireLogin(app))                       // web.SessionFrom(r.Context()) inside app
//	mux.Handle("/finance/", h.RequireGroup(financeGroupID, fin)) // an Entra group's Object ID
//
// The package uses only sp's exported API, so an app that writes its own handlers
// (with [sp.SP.AuthnRequestURL] and [sp.SP.ValidateResponse]) gets the same protocol
// checks, including that each AuthnRequest is answered once.
//
// # Sessions
//
// After a login the ACS handler starts a [Session]: NameID (with its Format), Issuer,
// SessionIndex, Entra's object and tenant IDs, email and display name, the groups and
// roles claims, and the app's own small [Session.Data] (through [Handlers.StartSession]
// in a [Config.OnLogin] hook). [Handlers.RequireGroup] and [Handlers.RequireRole] gate a
// handler on a group or an app role; when Entra left the groups out because the user is
// in too many ([Session.GroupsOverage]) the 403 page says membership is unknown.
//
// Where the session lives is chosen by [Config.SessionStore]. Without one it is all in
// one signed cookie of at most 3,900 bytes (Entra's maximum of 150 group object IDs fits:
// about 3,850 bytes); a session that does not fit is refused with [ErrSessionTooLarge]
// rather than cut short. With a store ([MemorySessionStore], or sp/redisstore's
// Store.Sessions for a fleet) the cookie carries only a random ID, and ending the session
// ends every copy of the cookie. A cookie-only session cannot be revoked: a copied
// cookie works until it expires. [Config.IdleTimeout] ends sessions left unused.
//
// # Signing out
//
// [Handlers.SignOut] takes a same-origin POST, ends the session and shows a "signed out"
// page (or redirects to [Config.SignedOutURL]). It does not end the user's session at
// the IdP, so the next sign-in from that browser asks the IdP to authenticate again
// ([sp.ForceAuthn]) instead of silently signing the same account back in. Other options:
// offer a sign-in button rather than sending users to the IdP automatically
// ([Config.SignInURL]), ask for authentication on every sign-in (sp.ForceAuthn in
// [Config.RequestOptions]), or Single Logout to end the IdP session as well.
//
// Single Logout: give the SP a Logout URL (sp.Config.Logout.URL, registered at the IdP;
// Entra: Basic SAML Configuration → Logout Url) and mount [Handlers.Logout] there. With
// the IdP's Logout URL (IdP.SLOURL; Entra's "Logout URL", read from its metadata),
// SignOut then sends the browser to the IdP with a LogoutRequest, and Logout accepts the
// answer only in that browser, once, before the "signed out" page. A LogoutRequest from
// the IdP (Entra sends one to every app of the session when the user signs out
// elsewhere) ends that login's session and is answered with a LogoutResponse; with a
// SessionStore it ends the stored sessions of that SessionIndex even when the browser
// withholds the session cookie.
//
// # Hooks
//
// [Config.OnLogin] receives the checked return URL: redirect only to it, never to
// r.FormValue("RelayState"), which may be an unchecked value from the query string.
package web
