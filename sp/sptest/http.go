package sptest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/internal/samltest"
)

// myAppsPath starts IdP-initiated sign-in (Entra's "User access URL").
const myAppsPath = "/myapps/signin"

func idpInitiatedQuery(spEntityID, relayState string) string {
	q := url.Values{"app": {spEntityID}}
	if relayState != "" {
		q.Set("RelayState", relayState)
	}
	return q.Encode()
}

// ServeHTTP serves the Login URL (GET: HTTP-Redirect, POST: HTTP-POST AuthnRequests; GET
// is also the Logout URL, for LogoutRequests and LogoutResponses), the federation
// metadata, IdP-initiated sign-in and sign-out (SignOutURL). A sign-in starts an IdP
// session in a cookie of the browser, or continues the one the browser has. The user is signed in without a login
// page: the answer is the auto-submitting form that posts the Response to the application,
// or Entra's error page for a request it will not answer.
func (idp *IdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var (
		form *Form
		err  error
	)
	switch {
	case r.URL.Path == "/"+idp.tenant+"/saml2" && r.Method == http.MethodGet:
		var done bool
		if done, err = idp.serveLogout(w, r); done && err == nil {
			return
		}
		if !done {
			var req *authnRequest
			if req, err = parseRedirect(r.URL.RawQuery); err == nil {
				form, err = idp.answer(req, false, idp.session(w, r, req.ForceAuthn))
			}
		}
	case r.URL.Path == "/"+idp.tenant+"/saml2" && r.Method == http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 2*maxRequest)
		if perr := r.ParseForm(); perr != nil {
			err = refusal("AADSTS75005", "The request is not a valid Saml2 protocol message.")
			break
		}
		var req *authnRequest
		if req, err = parsePost(r.PostForm.Get("SAMLRequest"), r.PostForm.Get("RelayState")); err == nil {
			form, err = idp.answer(req, false, idp.session(w, r, req.ForceAuthn))
		}
	case r.URL.Path == myAppsPath && r.Method == http.MethodGet:
		form, err = idp.answer(&authnRequest{Issuer: r.URL.Query().Get("app"), RelayState: r.URL.Query().Get("RelayState")}, true, idp.session(w, r, false))
	case r.URL.Path == "/"+idp.tenant+"/oauth2/logout" && r.Method == http.MethodGet:
		if err = idp.serveSignOut(w, r); err == nil {
			return
		}
	case strings.TrimPrefix(idp.MetadataURL(), idp.URL) == r.URL.Path && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(idp.Metadata())
		return
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var refused *Error
	switch {
	case errors.As(err, &refused):
		w.WriteHeader(http.StatusBadRequest)
		_ = errorPage.Execute(w, refused)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		_ = postPage.Execute(w, form)
	}
}

var postPage = template.Must(template.New("post").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Working...</title></head>
<body onload="document.forms[0].submit()">
<form method="POST" name="hiddenform" action="{{.Action}}">
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}
<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form></body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in to your account</title></head>
<body><h1>Sorry, but we're having trouble signing you in.</h1>
<p id="aadsts" data-code="{{.Code}}">{{.Code}}: {{.Message}}</p>
</body></html>
`))

// Metadata is the IdP's federation metadata, as Entra's "Federation Metadata XML"
// download: entity ID, signing certificate, and the Login URL for HTTP-Redirect and
// HTTP-POST (and as the logout URL), signed with the signing key as Entra signs it.
func (idp *IdP) Metadata() []byte {
	const (
		md       = "urn:oasis:names:tc:SAML:2.0:metadata"
		redirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	)
	root := etree.NewElement("EntityDescriptor")
	root.CreateAttr("xmlns", md)
	root.CreateAttr("ID", samltest.ID("sptest metadata "+idp.tenant))
	root.CreateAttr("entityID", idp.EntityID())
	d := root.CreateElement("IDPSSODescriptor")
	d.CreateAttr("protocolSupportEnumeration", "urn:oasis:names:tc:SAML:2.0:protocol")
	kd := d.CreateElement("KeyDescriptor")
	kd.CreateAttr("use", "signing")
	ki := kd.CreateElement("KeyInfo")
	ki.CreateAttr("xmlns", samltest.NSDSig)
	ki.CreateElement("X509Data").CreateElement("X509Certificate").SetText(base64.StdEncoding.EncodeToString(idp.key.Certificate.Raw))
	endpoint := func(name, binding string) {
		e := d.CreateElement(name)
		e.CreateAttr("Binding", binding)
		e.CreateAttr("Location", idp.LoginURL())
	}
	endpoint("SingleLogoutService", redirect)
	endpoint("SingleSignOnService", redirect)
	endpoint("SingleSignOnService", bindingPOST)
	if err := idp.signer.Sign(root, samltest.SHA256); err != nil {
		// Signing our own, well-formed element with an RSA key does not fail.
		panic(fmt.Sprintf("sptest: signing metadata: %v", err))
	}
	return samltest.Serialize(etree.NewDocumentWithRoot(root))
}

// serveLogout answers a logout message on the Login URL (HTTP-Redirect), reporting
// whether the query held one (done; it answered unless err is set). An AuthnRequest is
// left to the caller.
func (idp *IdP) serveLogout(w http.ResponseWriter, r *http.Request) (done bool, err error) {
	msg, perr := redirect.Parse(r.URL.RawQuery, redirect.DefaultLimits)
	if perr != nil {
		return false, nil // parseRedirect gives Entra's refusal
	}
	x, ierr := redirect.Inflate(msg.Value, maxRequest)
	if ierr != nil {
		return false, nil
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(x) != nil || doc.Root() == nil {
		return false, nil
	}
	root := doc.Root()
	switch {
	case msg.Param == redirect.SAMLResponse:
		return true, idp.serveLogoutResponse(w, root)
	case samltest.Is(root, samltest.NSProtocol, "LogoutRequest"):
		return true, idp.serveLogoutRequest(w, r, root, msg.RelayState)
	}
	return false, nil
}
