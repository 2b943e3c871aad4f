// Package sptest is a test kit for applications that sign users in with this module: an
// in-process identity provider that behaves like Microsoft Entra ID, on a loopback HTTP
// server, in the spirit of net/http/httptest. Tests drive their own login handlers end to
// end with it, without an Azure tenant.
//
// What it does as Entra does:
//
//   - issuer https://sts.windows.net/<tenant-id>/ and a Login URL <URL>/<tenant-id>/saml2;
//     federation metadata (signed, as Entra signs it) at MetadataURL;
//   - Entra's default claim set (tenantid, objectidentifier, displayname, name, …), the
//     role claim, and groups, replaced by the groups.link claim (groups overage) above 150;
//   - the three Signing Options (Signing), RSA-SHA256, exclusive C14N, a default-namespaced
//     Signature right after the Issuer;
//   - Token encryption to the application's certificate (Config.EncryptionCertificate);
//   - SP-initiated login from an HTTP-Redirect or HTTP-POST AuthnRequest, and IdP-initiated
//     login (My Apps); the response is always posted to the Reply URL with an
//     auto-submitting form;
//   - Single Logout: the Logout URL is the Login URL (HTTP-Redirect); an application's
//     LogoutRequest ends the browser's IdP session (a cookie; Entra ignores the NameID),
//     and the IdP sends a LogoutRequest, front-channel in frames of its sign-out page, to
//     every other application of that session with a Logout Url (SetLogoutURL), as it
//     does when the user signs out at the IdP (SignOutURL); LogoutResponses carry Entra's
//     issuer shape, <URL>/<tenant-id>/ (LogoutResponseIssuer), and every message is
//     signed in the query as Entra sends it (lower-case escapes, Signature before SigAlg).
//     FollowSignOut does what the browser does on that page; Authentications and
//     Sessions tell a test whether a sign-in reused the IdP session;
//   - refusals with their AADSTS codes: an unassigned user (AADSTS50105) and an unsupported
//     NameID format (AADSTS75016) are error Responses posted to the application; an unknown
//     Identifier (AADSTS700016) or Reply URL (AADSTS50011) is an error page at the IdP, as
//     Entra shows it, and an *Error from Respond.
//
// Configure the SP from MetadataURL or Metadata (metadata.ParseIdP), as an admin would from
// Entra's "Federation Metadata XML", and register the app as an Entra admin creates an
// Enterprise application:
//
//	idp := sptest.NewIdP(sptest.Config{})
//	defer idp.Close()
//	idp.RegisterSP("https://app.example/saml", appServer.URL+"/saml/acs")
//	meta, _ := metadata.ParseIdP(idp.Metadata())
//	// … sp.New(sp.Config{IdP: meta, …}), your handlers on appServer …
//	resp, err := idp.SignIn(client, appServer.URL+"/saml/login") // browser: login → IdP → ACS
//
// The signed-in user is the IdP's (Config.User, SetUser); tests that run in parallel with
// different users each start their own IdP, sharing one Config.Key to skip the key
// generation.
//
// The package imports no sp package, so sp's own tests use it too. It signs with a key it
// generates (or Config.Key): never trust it outside tests.
package sptest
