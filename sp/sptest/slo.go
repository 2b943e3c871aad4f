package sptest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/internal/samltest"
)

// Single Logout, as Entra does it: the Logout URL is the Login URL (<URL>/<tenant>/saml2,
// HTTP-Redirect only); a LogoutResponse's Issuer is <URL>/<tenant>/ (Entra:
// https://login.microsoftonline.com/<tenant>/), not the EntityID; and when the user
// signs out, Entra sends a LogoutRequest, front-channel, to every other application of
// the IdP session that has a Logout URL.

// idpSession is the user's session at the IdP, kept in a cookie of the browser.
type idpSession struct {
	id   string
	apps []participant // in sign-in order
}

// participant is one application's sign-in during an IdP session.
type participant struct {
	entityID, nameID, nameIDFormat, sessionIndex string
}

// sessionCookie is the IdP's session cookie (Entra: ESTSAUTH), one name per IdP server:
// cookie jars do not tell loopback ports apart.
func (idp *IdP) sessionCookie() string {
	u, _ := url.Parse(idp.URL)
	return "ESTSAUTH-" + u.Port()
}

// LogoutURL is the SingleLogoutService URL, Entra's "Logout URL": the Login URL.
func (idp *IdP) LogoutURL() string { return idp.LoginURL() }

// LogoutResponseIssuer is the Issuer of the IdP's LogoutResponses, <URL>/<tenant-id>/,
// as Entra writes https://login.microsoftonline.com/<tenant-id>/. metadata.FromAzure and
// ParseIdP derive it only for Entra's own hosts: set metadata.IdP.LogoutResponseIssuer
// to it when configuring an SP for this IdP.
func (idp *IdP) LogoutResponseIssuer() string { return idp.URL + "/" + idp.tenant + "/" }

// SignOutURL signs the user out at the IdP (as Entra's sign-out in My Apps does): the
// browser's IdP session ends and every application of it with a Logout URL gets a
// LogoutRequest. Follow the page with FollowSignOut.
func (idp *IdP) SignOutURL() string { return idp.URL + "/" + idp.tenant + "/oauth2/logout" }

// SetLogoutURL sets the application's Logout URL (Entra: Basic SAML Configuration →
// Logout Url), where the IdP sends LogoutRequests and LogoutResponses. Empty removes it:
// the application then takes part in no Single Logout.
func (idp *IdP) SetLogoutURL(entityID, logoutURL string) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if logoutURL == "" {
		delete(idp.logoutURLs, entityID)
		return
	}
	idp.logoutURLs[entityID] = logoutURL
}

// Authentications counts the times the user entered credentials: a sign-in without an
// IdP session (or with ForceAuthn). A sign-in within a live IdP session does not count,
// so a test can tell that Single Logout ended the IdP session.
func (idp *IdP) Authentications() int {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return idp.authns
}

// Sessions is the number of live IdP sessions.
func (idp *IdP) Sessions() int {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return len(idp.sessions)
}

// LogoutAnswers are the entity IDs of the applications that answered the IdP's
// LogoutRequests with a Success LogoutResponse, in order.
func (idp *IdP) LogoutAnswers() []string {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return append([]string(nil), idp.answered...)
}

// session returns the browser's IdP session, starting one when there is none or when
// force is set (ForceAuthn), which counts as an authentication.
func (idp *IdP) session(w http.ResponseWriter, r *http.Request, force bool) *idpSession {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if c, err := r.Cookie(idp.sessionCookie()); err == nil {
		if s, ok := idp.sessions[c.Value]; ok {
			if force {
				idp.authns++
			}
			return s
		}
	}
	s := &idpSession{id: guid()}
	idp.sessions[s.id] = s
	idp.authns++
	http.SetCookie(w, &http.Cookie{Name: idp.sessionCookie(), Value: s.id, Path: "/", HttpOnly: true})
	return s
}

// currentSession is the browser's IdP session, or nil.
func (idp *IdP) currentSession(r *http.Request) *idpSession {
	c, err := r.Cookie(idp.sessionCookie())
	if err != nil {
		return nil
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return idp.sessions[c.Value]
}

// join records an application's sign-in in the session.
func (idp *IdP) join(s *idpSession, p participant) {
	if s == nil {
		return
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	s.apps = append(s.apps, p)
}

// endSession ends s and returns the front-channel LogoutRequest URLs for its
// applications with a Logout URL, except the one named except.
func (idp *IdP) endSession(w http.ResponseWriter, s *idpSession, except string) ([]string, error) {
	http.SetCookie(w, &http.Cookie{Name: idp.sessionCookie(), Value: "", Path: "/", MaxAge: -1})
	if s == nil {
		return nil, nil
	}
	idp.mu.Lock()
	delete(idp.sessions, s.id)
	apps := s.apps
	idp.mu.Unlock()
	var frames []string
	seen := map[string]bool{except: true}
	for _, p := range apps {
		if seen[p.entityID] {
			continue
		}
		seen[p.entityID] = true
		idp.mu.Lock()
		dest := idp.logoutURLs[p.entityID]
		idp.mu.Unlock()
		if dest == "" {
			continue
		}
		id := "_" + guid()
		now := idp.now().UTC()
		x := fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="%s" ID="%s" Version="2.0" IssueInstant="%s" NotOnOrAfter="%s" Destination="%s"><Issuer xmlns="%s">%s</Issuer><NameID xmlns="%s"%s>%s</NameID><samlp:SessionIndex>%s</samlp:SessionIndex></samlp:LogoutRequest>`,
			samltest.NSProtocol, id, samltest.Timestamp(now), samltest.Timestamp(now.Add(time.Hour)), esc(dest),
			samltest.NSAssertion, esc(idp.EntityID()), samltest.NSAssertion, formatAttr(p.nameIDFormat), esc(p.nameID), esc(p.sessionIndex))
		u, err := idp.entraRedirect(dest, redirect.SAMLRequest, x, "")
		if err != nil {
			return nil, err
		}
		idp.mu.Lock()
		idp.broadcast[id] = p.entityID
		idp.mu.Unlock()
		frames = append(frames, u)
	}
	return frames, nil
}

func formatAttr(f string) string {
	if f == "" {
		return ""
	}
	return ` Format="` + esc(f) + `"`
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

// entraRedirect is dest with the message on its query as Entra sends it: signed with the
// IdP key (RSA-SHA256), every percent-escape in lower case, and the parameters in
// Entra's order, SAMLRequest (or SAMLResponse), RelayState, Signature, SigAlg. The
// signature covers param, RelayState and SigAlg in the spec's order, as sent.
func (idp *IdP) entraRedirect(dest, param, message, relayState string) (string, error) {
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
	sig, err := idp.key.Key.Sign(rand.Reader, h.Sum(nil), crypto.SHA256)
	if err != nil {
		return "", err
	}
	q := signed + "&Signature=" + lowerEscape(base64.StdEncoding.EncodeToString(sig)) + "&" + sigAlg
	sep := "?"
	if strings.Contains(dest, "?") {
		sep = "&"
	}
	return dest + sep + q, nil
}

var upperEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

// lowerEscape is url.QueryEscape with lower-case hex digits, as Microsoft encodes.
func lowerEscape(s string) string {
	return upperEscape.ReplaceAllStringFunc(url.QueryEscape(s), strings.ToLower)
}

// logoutRequest is what the IdP reads from an application's LogoutRequest.
type logoutRequest struct {
	ID, Issuer, NameID, SessionIndex string
	RelayState                       string
}

// serveLogoutRequest answers an application's LogoutRequest (HTTP-Redirect): it ends the
// browser's IdP session, sends LogoutRequests to the session's other applications
// (front-channel, in frames of the sign-out page), and sends the browser back to the
// application's Logout URL with a LogoutResponse.
func (idp *IdP) serveLogoutRequest(w http.ResponseWriter, r *http.Request, root *etree.Element, relayState string) error {
	req := logoutRequest{ID: root.SelectAttrValue("ID", ""), RelayState: relayState}
	if iss := samltest.Child(root, samltest.NSAssertion, "Issuer"); iss != nil {
		req.Issuer = strings.TrimSpace(iss.Text())
	}
	if n := samltest.Child(root, samltest.NSAssertion, "NameID"); n != nil {
		req.NameID = strings.TrimSpace(n.Text())
	}
	if si := samltest.Child(root, samltest.NSProtocol, "SessionIndex"); si != nil {
		req.SessionIndex = strings.TrimSpace(si.Text())
	}
	if req.ID == "" || req.Issuer == "" || req.NameID == "" || root.SelectAttrValue("Version", "") != "2.0" || root.SelectAttrValue("IssueInstant", "") == "" {
		return refusal("AADSTS50061", "The logout request is invalid: it needs ID, Version, IssueInstant, Issuer and NameID.")
	}
	if c := req.ID[0]; c >= '0' && c <= '9' {
		return refusal("AADSTS7500529", "The value '"+req.ID+"' is not a valid SAML ID. The ID must not begin with a number.")
	}
	idp.mu.Lock()
	_, known := idp.apps[req.Issuer]
	dest := idp.logoutURLs[req.Issuer]
	idp.mu.Unlock()
	if !known {
		return refusal("AADSTS700016", fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", req.Issuer, idp.tenant))
	}
	if dest == "" {
		return refusal("AADSTS50061", "The logout request is invalid: the application '"+req.Issuer+"' has no Logout Url configured.")
	}
	// Entra ignores the NameID value: it signs out the browser's session.
	s := idp.currentSession(r)
	status, message := samltest.StatusSuccess, ""
	if s != nil && !idp.participates(s, req.Issuer) {
		status, message = samltest.StatusRequester, "AADSTS50068: Signout failed. The initiator of the request is not a participant in the current session."
		s = nil
	}
	var frames []string
	if s != nil {
		var err error
		if frames, err = idp.endSession(w, s, req.Issuer); err != nil {
			return err
		}
	}
	now := idp.now().UTC()
	x := fmt.Sprintf(`<samlp:LogoutResponse xmlns:samlp="%s" ID="_%s" Version="2.0" IssueInstant="%s" Destination="%s" InResponseTo="%s"><Issuer xmlns="%s">%s</Issuer><samlp:Status><samlp:StatusCode Value="%s"/>%s</samlp:Status></samlp:LogoutResponse>`,
		samltest.NSProtocol, guid(), samltest.Timestamp(now), esc(dest), esc(req.ID), samltest.NSAssertion, esc(idp.LogoutResponseIssuer()), status, statusMessage(message))
	back, err := idp.entraRedirect(dest, redirect.SAMLResponse, x, req.RelayState)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if len(frames) == 0 {
		http.Redirect(w, r, back, http.StatusFound)
		return nil
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return signOutPage.Execute(w, signOut{Frames: frames, Continue: back})
}

func statusMessage(m string) string {
	if m == "" {
		return ""
	}
	return "<samlp:StatusMessage>" + esc(m) + "</samlp:StatusMessage>"
}

func (idp *IdP) participates(s *idpSession, entityID string) bool {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	for _, p := range s.apps {
		if p.entityID == entityID {
			return true
		}
	}
	return false
}

// serveLogoutResponse takes an application's answer to a broadcast LogoutRequest.
func (idp *IdP) serveLogoutResponse(w http.ResponseWriter, root *etree.Element) error {
	if !samltest.Is(root, samltest.NSProtocol, "LogoutResponse") {
		return refusal("AADSTS75005", "The request is not a valid Saml2 protocol message.")
	}
	idp.mu.Lock()
	app, ok := idp.broadcast[root.SelectAttrValue("InResponseTo", "")]
	delete(idp.broadcast, root.SelectAttrValue("InResponseTo", ""))
	sc := samltest.Find(root, samltest.NSProtocol, "StatusCode")
	if ok && sc != nil && sc.SelectAttrValue("Value", "") == samltest.StatusSuccess {
		idp.answered = append(idp.answered, app)
	}
	idp.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := io.WriteString(w, "<!doctype html><title>Signed out</title><p>Signed out.</p>")
	return err
}

// serveSignOut signs the browser out at the IdP: the session ends and every application
// of it gets a LogoutRequest.
func (idp *IdP) serveSignOut(w http.ResponseWriter, r *http.Request) error {
	frames, err := idp.endSession(w, idp.currentSession(r), "")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return signOutPage.Execute(w, signOut{Frames: frames})
}

type signOut struct {
	Frames   []string
	Continue string
}

// signOutPage loads each application's Logout URL in a frame, then (SP-initiated)
// continues to the initiating application with its LogoutResponse.
var signOutPage = template.Must(template.New("signout").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sign out</title></head>
<body{{if .Continue}} onload="location.href=document.getElementById('continue').href"{{end}}>
<h1 id="signedout">You signed out of your account</h1>
{{range .Frames}}<iframe class="slo" src="{{.}}" hidden></iframe>
{{end}}{{if .Continue}}<a id="continue" href="{{.Continue}}">Continue</a>{{end}}
</body></html>
`))

var (
	frameRE    = regexp.MustCompile(`<iframe class="slo" src="([^"]*)"`)
	continueRE = regexp.MustCompile(`<a id="continue" href="([^"]*)"`)
)

// FollowSignOut does what a browser does on the IdP's sign-out page (the answer to a
// LogoutRequest or to SignOutURL): it loads each application's Logout URL in its frame
// (with client, following redirects: the applications' LogoutResponses come back to the
// IdP), then continues to the application that started the sign-out, if one did. It
// returns the last page. A response that is not the IdP's sign-out page is returned
// as is.
func (idp *IdP) FollowSignOut(client *http.Client, resp *http.Response) (*http.Response, error) {
	if !strings.HasPrefix(resp.Request.URL.String(), idp.URL+"/") {
		return resp, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if !bytes.Contains(b, []byte(`id="signedout"`)) {
		return resp, nil
	}
	for _, m := range frameRE.FindAllSubmatch(b, -1) {
		fr, err := client.Get(html.UnescapeString(string(m[1])))
		if err != nil {
			return nil, fmt.Errorf("sptest: loading a sign-out frame: %w", err)
		}
		_, _ = io.Copy(io.Discard, fr.Body)
		fr.Body.Close()
	}
	if m := continueRE.FindSubmatch(b); m != nil {
		return client.Get(html.UnescapeString(string(m[1])))
	}
	return resp, nil
}
