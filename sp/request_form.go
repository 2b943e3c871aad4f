package sp

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
)

// PostForm is a SAML message for the HTTP-POST binding (an AuthnRequest, or a logout
// message): an HTML form the browser posts to the IdP. Serve it with ServeHTTP, or embed
// WriteHTML in a page of your own.
type PostForm struct {
	URL         string // the IdP's SSO or Logout URL, where the form posts to
	SAMLRequest string // base64 of the AuthnRequest or LogoutRequest XML
	// SAMLResponse is base64 of a LogoutResponse XML, in place of SAMLRequest.
	SAMLResponse string
	RelayState   string // empty means the field is left out
}

// postFormScript submits the form as soon as the page loads. It is a constant so that a
// Content-Security-Policy can allow it by hash instead of allowing every inline script.
const postFormScript = `document.getElementById("saml-post").submit();`

var postFormScriptHash = func() string {
	sum := sha256.Sum256([]byte(postFormScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// postFormCSP is the Content-Security-Policy ServeHTTP sends.
var postFormCSP = "default-src 'none'; script-src " + postFormScriptHash + "; base-uri 'none'; frame-ancestors 'none'"

var postFormTmpl = template.Must(template.New("post").Parse(
	`<form id="saml-post" method="post" action="{{.URL}}">` +
		`{{if .SAMLResponse}}<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">` +
		`{{else}}<input type="hidden" name="SAMLRequest" value="{{.SAMLRequest}}">{{end}}` +
		`{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}` +
		`<noscript><p>JavaScript is off: press Continue.</p><button type="submit">Continue</button></noscript>` +
		`</form><script>` + postFormScript + `</script>`))

// WriteHTML writes the auto-submitting form (a fragment, not a whole page). Its one
// inline script never changes: a page with a Content-Security-Policy must allow it by
// hash (copy the script-src of the header ServeHTTP sends), or the user has to press
// Continue.
func (f *PostForm) WriteHTML(w io.Writer) error {
	return postFormTmpl.Execute(w, f)
}

// ServeHTTP writes a whole page holding the form, with a Content-Security-Policy that
// allows exactly its one script, and tells caches not to keep it.
func (f *PostForm) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", postFormCSP)
	h.Set("Referrer-Policy", "no-referrer")
	io.WriteString(w, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signing in…</title></head><body>")
	f.WriteHTML(w)
	io.WriteString(w, "</body></html>")
}
