package demoidp

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/redirect"
)

// Single Logout, as Entra does it: the Logout URL is the Login URL (HTTP-Redirect);
// LogoutResponses carry the issuer <base>/<tenant>/ (Entra:
// https://login.microsoftonline.com/<tenant>/); and when the user signs out, here or in
// an application, every other application of the IdP session that has a Logout URL gets
// a LogoutRequest, front-channel, in a frame of the sign-out page.

// participant is one application's sign-in during an IdP session.
type participant struct {
	entityID, nameID, nameIDFormat, sessionIndex string
}

// LogoutURL is the SingleLogoutService URL, Entra's "Logout URL": the Login URL.
func (d *IdP) LogoutURL() string { return d.LoginURL() }

// LogoutResponseIssuer is the Issuer of the IdP's LogoutResponses, <base>/<tenant-id>/,
// as Entra writes https://login.microsoftonline.com/<tenant-id>/; an SP configured for
// this IdP sets metadata.IdP.LogoutResponseIssuer to it.
func (d *IdP) LogoutResponseIssuer() string { return d.url("/" + d.tenant + "/") }

// SignOutURL signs the user out at the IdP and at every application of the session.
func (d *IdP) SignOutURL() string { return d.url("/logout") }

// SetLogoutURL sets an application's Logout URL (Entra: Basic SAML Configuration →
// Logout Url). Empty removes it: the application then takes part in no Single Logout.
func (d *IdP) SetLogoutURL(entityID, logoutURL string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if logoutURL == "" {
		delete(d.logoutURLs, entityID)
		return
	}
	d.logoutURLs[entityID] = logoutURL
}

func (d *IdP) logoutURL(entityID string) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.logoutURLs[entityID]
}

// join records an application's sign-in in the IdP session sessionID.
func (s *sessionStore) join(sessionID string, p participant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if si := s.sessions[sessionID]; si != nil {
		si.apps = append(si.apps, p)
	}
}

func (s *sessionStore) participants(si *signIn) []participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]participant(nil), si.apps...)
}

// signOut ends the browser's IdP session and returns the front-channel LogoutRequest
// URLs of its applications with a Logout URL, but not of except.
func (d *IdP) signOut(w http.ResponseWriter, r *http.Request, si *signIn, except string) ([]string, error) {
	d.endSession(w, r)
	if si == nil {
		return nil, nil
	}
	var frames []string
	seen := map[string]bool{except: true}
	for _, p := range d.sessions.participants(si) {
		dest := d.logoutURL(p.entityID)
		if seen[p.entityID] || dest == "" {
			continue
		}
		seen[p.entityID] = true
		now := d.now().UTC()
		format := ""
		if p.nameIDFormat != "" {
			format = ` Format="` + xmlEsc(p.nameIDFormat) + `"`
		}
		msg := fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="%s" ID="_%s" Version="2.0" IssueInstant="%s" NotOnOrAfter="%s" Destination="%s"><Issuer xmlns="%s">%s</Issuer><NameID xmlns="%s"%s>%s</NameID><samlp:SessionIndex>%s</samlp:SessionIndex></samlp:LogoutRequest>`,
			nsProtocol, guid(), samlTime(now), samlTime(now.Add(time.Hour)), xmlEsc(dest), nsAssertion, xmlEsc(d.EntityID()), nsAssertion, format, xmlEsc(p.nameID), xmlEsc(p.sessionIndex))
		u, err := d.entraRedirect(dest, redirect.SAMLRequest, msg, "")
		if err != nil {
			return nil, err
		}
		frames = append(frames, u)
	}
	return frames, nil
}

// serveSignOut is /logout: the IdP session ends, each application of it gets its
// LogoutRequest, and the browser goes on to the login page.
func (d *IdP) serveSignOut(w http.ResponseWriter, r *http.Request) {
	si, _ := d.current(r)
	frames, err := d.signOut(w, r, si, "")
	if err != nil {
		d.renderError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if len(frames) == 0 {
		http.Redirect(w, r, d.path("/login"), http.StatusSeeOther)
		return
	}
	d.renderSignOut(w, frames, d.path("/login"))
}

// serveLogout answers a logout message on the Login URL (HTTP-Redirect) and reports
// whether the query held one; AuthnRequests are left to crewjam.
func (d *IdP) serveLogout(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	msg, err := redirect.Parse(r.URL.RawQuery, redirect.DefaultLimits)
	if err != nil {
		return false
	}
	raw, err := redirect.Inflate(msg.Value, 64<<10)
	if err != nil {
		return false
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(raw) != nil || doc.Root() == nil {
		return false
	}
	root := doc.Root()
	switch {
	case msg.Param == redirect.SAMLResponse:
		// An application's answer to a broadcast LogoutRequest: Entra needs none.
		d.render(w, http.StatusOK, "signedout", signOutPage{})
		return true
	case root.Tag == "LogoutRequest" && root.NamespaceURI() == nsProtocol:
		d.serveLogoutRequest(w, r, root, msg.RelayState)
		return true
	}
	return false
}

// serveLogoutRequest answers an application's LogoutRequest: it ends the browser's IdP
// session (Entra ignores the NameID value), sends the session's other applications their
// LogoutRequests, and sends the browser back with a LogoutResponse.
func (d *IdP) serveLogoutRequest(w http.ResponseWriter, r *http.Request, root *etree.Element, relayState string) {
	id := root.SelectAttrValue("ID", "")
	var issuer string
	if iss := child(root, nsAssertion, "Issuer"); iss != nil {
		issuer = strings.TrimSpace(iss.Text())
	}
	if id == "" || issuer == "" || child(root, nsAssertion, "NameID") == nil || root.SelectAttrValue("Version", "") != "2.0" {
		d.renderError(w, http.StatusBadRequest, "AADSTS50061: The logout request is invalid: it needs ID, Version, Issuer and NameID.")
		return
	}
	if _, err := d.GetServiceProvider(r, issuer); err != nil {
		d.renderError(w, http.StatusBadRequest, "AADSTS700016: Application with identifier '"+issuer+"' was not found in the directory.")
		return
	}
	dest := d.logoutURL(issuer)
	if dest == "" {
		d.renderError(w, http.StatusBadRequest, "AADSTS50061: The logout request is invalid: the application '"+issuer+"' has no Logout Url configured.")
		return
	}
	si, _ := d.current(r)
	status, message := "urn:oasis:names:tc:SAML:2.0:status:Success", ""
	if si != nil && !participates(d.sessions.participants(si), issuer) {
		status, message = "urn:oasis:names:tc:SAML:2.0:status:Requester", "AADSTS50068: Signout failed. The initiator of the request is not a participant in the current session."
		si = nil
	}
	var frames []string
	if si != nil {
		var err error
		if frames, err = d.signOut(w, r, si, issuer); err != nil {
			d.renderError(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	if message != "" {
		message = "<samlp:StatusMessage>" + xmlEsc(message) + "</samlp:StatusMessage>"
	}
	msg := fmt.Sprintf(`<samlp:LogoutResponse xmlns:samlp="%s" ID="_%s" Version="2.0" IssueInstant="%s" Destination="%s" InResponseTo="%s"><Issuer xmlns="%s">%s</Issuer><samlp:Status><samlp:StatusCode Value="%s"/>%s</samlp:Status></samlp:LogoutResponse>`,
		nsProtocol, guid(), samlTime(d.now()), xmlEsc(dest), xmlEsc(id), nsAssertion, xmlEsc(d.LogoutResponseIssuer()), status, message)
	back, err := d.entraRedirect(dest, redirect.SAMLResponse, msg, relayState)
	if err != nil {
		d.renderError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if len(frames) == 0 {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, back, http.StatusFound)
		return
	}
	d.renderSignOut(w, frames, back)
}

func participates(ps []participant, entityID string) bool {
	for _, p := range ps {
		if p.entityID == entityID {
			return true
		}
	}
	return false
}

func child(el *etree.Element, ns, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

type signOutPage struct {
	Frames   []string
	Continue string
}

func (d *IdP) renderSignOut(w http.ResponseWriter, frames []string, next string) {
	d.render(w, http.StatusOK, "signedout", signOutPage{Frames: frames, Continue: next})
}

// The sign-out page: each application's Logout URL in a hidden frame, then on to next
// once they have loaded.
var _ = template.Must(pages.New("signedout").Parse(`{{template "head" "Sign out"}}
<div class="card"{{if .Page.Continue}} id="slo-continue" data-next="{{.Page.Continue}}"{{end}}>
<h1 id="signedout">You signed out of your account</h1>
{{range .Page.Frames}}<iframe class="slo" src="{{.}}" hidden></iframe>
{{end}}{{with .Page.Continue}}<p><a id="continue" href="{{.}}">Continue</a></p>
<script>window.addEventListener("load", function () { location.href = document.getElementById("continue").href })</script>{{end}}
</div></body></html>`))

// entraRedirect is dest with message on its query as Entra sends it: signed (RSA-SHA256),
// lower-case percent-escapes, and Signature before SigAlg.
func (d *IdP) entraRedirect(dest, param, message, relayState string) (string, error) {
	value, err := redirect.Encode([]byte(message))
	if err != nil {
		return "", err
	}
	signed := param + "=" + lowerEscape(value)
	if relayState != "" {
		signed += "&RelayState=" + lowerEscape(relayState)
	}
	sigAlg := "SigAlg=" + lowerEscape(redirect.RSASHA256)
	h := crypto.SHA256.New()
	h.Write([]byte(signed + "&" + sigAlg))
	sig, err := d.signingKey().Key.Sign(rand.Reader, h.Sum(nil), crypto.SHA256)
	if err != nil {
		return "", err
	}
	sep := "?"
	if strings.Contains(dest, "?") {
		sep = "&"
	}
	return dest + sep + signed + "&Signature=" + lowerEscape(base64.StdEncoding.EncodeToString(sig)) + "&" + sigAlg, nil
}

var upperEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerEscape(s string) string {
	return upperEscape.ReplaceAllStringFunc(url.QueryEscape(s), strings.ToLower)
}

func xmlEsc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}
