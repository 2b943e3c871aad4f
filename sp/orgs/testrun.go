package orgs

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// A test ("Update and Test SAML configuration") sends the admin's browser to the IdP
// with an AuthnRequest of the pending version. The IdP posts the answer to the same ACS
// URL as members' sign-ins; the RelayState marks it as a test ("ts" + 32 hex digits,
// which sp/web never writes), and a signed cookie set in the admin's browser when the
// test started binds it to that browser, organization, version and request. The answer
// is diagnosed and recorded; nobody is signed in.

const testRelayPrefix = "ts"

func isTestRelayState(rs string) bool {
	if len(rs) != len(testRelayPrefix)+32 || !strings.HasPrefix(rs, testRelayPrefix) {
		return false
	}
	_, err := hex.DecodeString(rs[len(testRelayPrefix):])
	return err == nil
}

// testState is what the test cookie carries.
type testState struct {
	Org        string `json:"o"`
	Version    int    `json:"v"`
	RequestID  string `json:"id"`
	RelayState string `json:"rs"`
	Admin      string `json:"a"`
	Expires    int64  `json:"e"` // Unix seconds
}

func deriveKey(key []byte, label string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(label))
	return mac.Sum(nil)
}

func (m *Manager) testCookieName(orgID string) string {
	name := cookieName(orgID) + "-test"
	if m.secure {
		name = "__Host-" + name
	}
	return name
}

func (m *Manager) seal(name string, v any) (string, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(m.mac(name, p)), nil
}

func (m *Manager) mac(name, payload string) []byte {
	mac := hmac.New(sha256.New, m.testKey)
	mac.Write([]byte(name))
	mac.Write([]byte{0})
	mac.Write([]byte(payload))
	return mac.Sum(nil)
}

// strictB64 gives each sealed value one spelling: the unused low bits of the last
// character must be zero, and \r and \n (which encoding/base64 skips) are refused first.
var strictB64 = base64.RawURLEncoding.Strict()

func (m *Manager) open(name, value string, v any) error {
	p, sig, ok := strings.Cut(value, ".")
	got, err := strictB64.DecodeString(sig)
	if !ok || strings.ContainsAny(value, "\r\n") || err != nil || !hmac.Equal(got, m.mac(name, p)) {
		return errors.New("test cookie altered or signed with another CookieKey")
	}
	payload, err := strictB64.DecodeString(p)
	if err != nil {
		return err
	}
	return json.Unmarshal(payload, v)
}

func (m *Manager) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: m.secure}
	if m.secure {
		c.SameSite = http.SameSiteNoneMode // the IdP's POST back is cross-site
	}
	http.SetCookie(w, c)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("orgs: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// StartTest sends the admin's browser to orgID's IdP with an AuthnRequest of the
// pending configuration; on success it has written the redirect (or, for an IdP that
// takes only HTTP-POST, the auto-submitting form). The answer comes back to the ACS
// URL, is diagnosed, and recorded as the pending version's LastTest; the admin is then
// sent to the settings page (Config.SettingsPath).
func (m *Manager) StartTest(w http.ResponseWriter, r *http.Request, orgID string) error {
	admin, err := m.authorize(r, orgID, ActionTest)
	if err != nil {
		return err
	}
	o, err := m.cfg.Store.Get(r.Context(), orgID)
	if err != nil {
		return err
	}
	if o.Pending == nil {
		return ErrNoPending
	}
	p, idp, err := m.newSP(r.Context(), orgID, o.Pending, false)
	if err != nil {
		return err
	}
	rs := testRelayPrefix + randomHex(16)
	var (
		redirect string
		form     *sp.PostForm
		id       string
	)
	if idp.SSOBinding == metadata.BindingHTTPPost {
		form, id, err = p.AuthnRequestForm(rs)
	} else {
		redirect, id, err = p.AuthnRequestURL(rs)
	}
	if err != nil {
		return err
	}
	name := m.testCookieName(orgID)
	value, err := m.seal(name, testState{Org: orgID, Version: o.Pending.Number, RequestID: id, RelayState: rs, Admin: admin,
		Expires: m.now().Add(m.testLife).Unix()})
	if err != nil {
		return err
	}
	m.setCookie(w, name, value, int(m.testLife.Seconds()))
	w.Header().Set("Cache-Control", "no-store")
	if form != nil {
		form.ServeHTTP(w, r)
		return nil
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
	return nil
}

// finishTest diagnoses the IdP's answer to a test. It never signs anyone in.
func (m *Manager) finishTest(w http.ResponseWriter, r *http.Request, orgID, relayState, samlResponse string) {
	name := m.testCookieName(orgID)
	c, cerr := r.Cookie(name)
	var st testState
	switch {
	case cerr != nil:
		m.testProblem(w, r, orgID, http.StatusForbidden, "This test answer came to a browser that did not start the test (or the test expired). Run Update and Test again from this browser.")
		return
	case m.open(name, c.Value, &st) != nil || st.RelayState != relayState || st.Org != orgID:
		// Checked before the cookie is deleted, so a stray post cannot use up the admin's test.
		m.testProblem(w, r, orgID, http.StatusForbidden, "This test answer does not belong to the test this browser started. Run Update and Test again.")
		return
	}
	m.setCookie(w, name, "", -1)
	if !m.now().Before(time.Unix(st.Expires, 0)) {
		m.testProblem(w, r, orgID, http.StatusForbidden, "This test answer arrived after the test expired. Run Update and Test again.")
		return
	}
	ctx := r.Context()
	// Answered once, even by a copy of the cookie, on every server sharing the cache.
	if err := m.replayCache(orgID).Remember(ctx, "orgs-test:"+relayState, time.Unix(st.Expires, 0)); errors.Is(err, sp.ErrReplay) {
		m.testProblem(w, r, orgID, http.StatusForbidden, "This test answer was already used. Run Update and Test again.")
		return
	} else if err != nil {
		m.serverError(w, r, err)
		return
	}
	o, err := m.cfg.Store.Get(ctx, orgID)
	if err != nil {
		m.serverError(w, r, err)
		return
	}
	if o.Pending == nil || o.Pending.Number != st.Version {
		m.testProblem(w, r, orgID, http.StatusConflict, "The configuration changed while the test was running. Run Update and Test again.")
		return
	}
	p, idp, err := m.newSP(ctx, orgID, o.Pending, false)
	if err != nil {
		m.testProblem(w, r, orgID, http.StatusConflict, "The saved configuration no longer validates: "+err.Error())
		return
	}
	d := diagnoseWithGuards(p.Diagnose(ctx, samlResponse, st.RequestID), o.Pending.Settings, idp.EntityID)
	t := &Test{At: m.now().UTC(), By: st.Admin, Diagnosis: d}
	if err := m.recordTest(ctx, orgID, st.Version, t); errors.Is(err, errVersionChanged) {
		m.testProblem(w, r, orgID, http.StatusConflict, "The configuration changed while the test was running. Run Update and Test again.")
		return
	} else if err != nil {
		m.serverError(w, r, err)
		return
	}
	entry := SignIn{At: t.At, Test: true, Version: st.Version, Result: Succeeded, Ref: randomHex(6)}
	if d.Signed != nil {
		entry.NameID, entry.Signer = d.Signed.NameID.Value, signer(d.Signed)
	}
	if f := d.Failed(); len(f) > 0 {
		entry.Result, entry.Check, entry.Reason = Refused, f[0].Name, checkText(f[0])
		entry.AADSTS = aadsts(f[0].Err)
	} else if !d.OK {
		entry.Result = Refused
	}
	m.logSignIn(r, orgID, entry)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, m.settingsPath(orgID), http.StatusSeeOther)
}

func checkText(c sp.Check) string {
	if c.Err != nil {
		return c.Err.Error()
	}
	return fmt.Sprintf("%s: got %s; expected %s — %s", c.Name, c.Received, c.Expected, c.Fix)
}

var aadstsRE = regexp.MustCompile(`AADSTS\d+`)

// aadsts returns Entra's error code carried by err, or "".
func aadsts(err error) string {
	var se *sp.StatusError
	if errors.As(err, &se) {
		return aadstsRE.FindString(se.Message)
	}
	return ""
}
