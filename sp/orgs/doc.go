// Package orgs is per-organization SAML single sign-on for a multi-tenant app: each
// organization's admin connects its own IdP (Microsoft Entra ID first), tests it, and
// enables it; members then sign in through it, from the app or from the IdP's portal.
//
// The whole flow in an app (PostgreSQL for a fleet; SQLite works the same):
//
//	store, err := sqlstore.Open(ctx, db, sqlstore.Options{Dialect: sqlstore.PostgreSQL})
//	sso, err := orgs.New(orgs.Config{
//		Store:     store,
//		BaseURL:   "https://app.example",
//		CookieKey: cookieKey, // 32+ random bytes, the same on every server
//		Authorize: func(r *http.Request, org string, _ orgs.Action) (string, error) {
//			u := currentUser(r) // the app's own session
//			if u == nil || !u.IsAdminOf(org) {
//				return "", errors.New("not an admin of " + org)
//			}
//			return u.Email, nil
//		},
//		OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, a *assertion.Assertion, returnTo string) error {
//			startSession(w, o.ID, a.NameID.Value) // the app's own session
//			http.Redirect(w, r, returnTo, http.StatusSeeOther)
//			return nil
//		},
//	})
//	mux.Handle("/organizations/{org}/saml/", sso.Handler()) // login, consume (ACS), metadata, signout, logout (SLO)
//
//	// "Update and Test SAML configuration": save as pending, then test it at the IdP.
//	mux.HandleFunc("POST /organizations/{org}/settings/sso", func(w http.ResponseWriter, r *http.Request) {
//		org, version := r.PathValue("org"), atoi(r.FormValue("version"))
//		s := orgs.Settings{LoginURL: r.FormValue("login_url"), Certificate: r.FormValue("certificate")}
//		if _, err := sso.Save(r, org, s, version); err != nil {
//			showSettings(w, r, org, err) // *orgs.SettingsError: a message per field
//		} else if err := sso.StartTest(w, r, org); err != nil {
//			showSettings(w, r, org, err)
//		}
//	})
//	mux.HandleFunc("POST /organizations/{org}/settings/sso/enable", func(w http.ResponseWriter, r *http.Request) {
//		_, err := sso.Enable(r, r.PathValue("org"), atoi(r.FormValue("version")))
//		showSettings(w, r, r.PathValue("org"), err) // ErrNotTested until a test passed
//	})
//
// The settings page shows Manager.Get (pending and active versions, the last test's full
// sp.Diagnosis), Manager.Endpoints (the ACS URL and SP Entity ID to copy into Entra) and
// Manager.SignIns (recent sign-ins, member failures included). SettingsFromForm reads a
// settings form whose inputs use the Field* names; Claims and MemberOf show what an IdP
// asserted; Manager.CheckSameOrigin guards the app's own forms; Preconfigure seeds an
// organization from the operator's configuration; sqlstore's Store.CookieKey is a
// CookieKey shared by every server over one database.
//
// # Lifecycle
//
// The package, not the app, enforces it:
//
//   - Save stores a pending version, after checking it (field-level SettingsError;
//     nothing stored on error). What members use does not change.
//   - StartTest sends the admin's browser to the IdP with the pending version. The answer
//     comes back to the org's ACS URL, is recognized as a test bound to that browser (a
//     signed cookie), that organization, that version and that AuthnRequest, is
//     diagnosed, and is recorded as the version's LastTest. Nobody is signed in, and the
//     answer cannot be replayed as a member sign-in.
//   - Enable makes the pending version active, only if its last test passed: one store
//     update. A passing test never activates anything by itself.
//   - Disable stops SSO for members (404 at login, 403 at the ACS).
//
// Every admin method takes the request and runs Config.Authorize (required: there is no
// default that allows). State-changing ones also need a same-origin POST: an Origin
// header equal to BaseURL's origin, or Sec-Fetch-Site: same-origin; a request carrying
// neither is refused.
//
// # Guardrails
//
// After a member's response validated: when the organization lists allowed e-mail
// domains, every address the IdP asserted (e-mail claim, UPN, e-mail NameID) must be
// under one of them; when the issuer is an Entra tenant (https://sts.windows.net/<id>/),
// a tenantid claim must name that tenant. A refusal is logged with an admin-facing
// reason (ErrEmailDomain, ErrTenant), and tests report both as checks of the Diagnosis.
//
// # Metadata URL
//
// Instead of a Login URL and certificate, an admin can give the IdP's metadata URL
// (Entra's App Federation Metadata Url, Settings.MetadataURL). It is fetched when saved
// (an unusable URL is a field error), and whenever a version using it is needed; run
// Manager.Run in a goroutine to keep it current, so an IdP's certificate rollover
// reaches members without a new configuration (Manager.RefreshMetadata fetches at once).
// Fetches go through Config.MetadataFetcher (SSRF-safe by default); a shared
// Config.MetadataCache makes one fetch serve a fleet.
//
// # Fleet
//
// Servers share the Store (and, through Config.ReplayCache and RequestStore, Redis).
// Each server re-reads an organization at most every Config.RefreshInterval (10 s by
// default): a configuration enabled or disabled on one server is in use on every
// server within that time. Tests started on one server finish on any other.
//
// # Names chosen by the package
//
// Cookie names start with "org.<id>." and shared-state scopes with
// "ssokit:orgs:<id>:". IDs are limited to a-z, 0-9 and '-' (ValidID), so neither can
// be a prefix of another organization's: org "acme" never touches the cookies or Redis
// keys of org "acme-req".
//
// # Sign-in log
//
// Every test and member attempt is logged per organization (Store.Log, bounded by the
// store's retention): time, result, the failed check and its admin-facing text, the
// AADSTS code, signer thumbprint, NameID and the correlation reference the member was
// shown. The entry is written before the member's response is answered: one store
// transaction per sign-in (BenchmarkMemberSignIn: 0.2 ms per sign-in on the memory store,
// 1.6 ms on SQLite on disk). Anyone can post to an enabled organization's ACS, so a
// flood of refused posts is logged too, within the same bound, and pushes older
// entries out.
package orgs
