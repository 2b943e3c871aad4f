// Package web is the net/http side of an [sp.SP]: the login, ACS and metadata handlers,
// the cookies that bind each login to the browser that started it, RelayState and
// return URLs, the default session, and middleware that requires it.
//
//	provider, err := sp.New(sp.Config{EntityID: …, ACSURL: …, IdP: idp})
//	h, err := web.New(provider, web.Config{CookieKey: key32}) // same key on every server
//	mux.Handle("GET /saml/login", h.Login())
//	mux.Handle("POST /saml/acs", h.ACS())
//	mux.Handle("GET /saml/metadata", h.Metadata())
//	mux.Handle("/", h.RequireLogin(app)) // web.SessionFrom(r.Context()) inside app
//
// The package uses only sp's exported API, so an app that writes its own handlers
// (with [sp.SP.AuthnRequestURL] and [sp.SP.ValidateResponse]) gets the same protocol
// checks, including that each AuthnRequest is answered once.
package web
