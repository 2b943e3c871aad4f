package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/ssokit/saml/sp"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
)

// entraAssertion is a validated assertion as Entra sends it, with groups many.
func entraAssertion(groups int, sessionEnd time.Time) *assertion.Assertion {
	a := &assertion.Assertion{
		ID:                  "_5e1c7a2f-0000-4000-8000-000000000001",
		Issuer:              "https://sts.windows.net/0f1e2d3c-0000-4000-8000-000000000001/",
		NameID:              assertion.NameID{Value: "adele@contoso.example", Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
		SessionIndex:        "_5e1c7a2f-0000-4000-8000-000000000001",
		SessionNotOnOrAfter: sessionEnd,
		Attributes:          map[string]assertion.Attribute{},
	}
	add := func(name string, values ...string) {
		a.Attributes[name] = assertion.Attribute{Name: name, Values: values}
		a.AttributeNames = append(a.AttributeNames, name)
	}
	add("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "adele@contoso.example")
	add("http://schemas.microsoft.com/identity/claims/displayname", "Adele Vance")
	add("http://schemas.microsoft.com/identity/claims/objectidentifier", "4a9f3c1e-7b2d-4f6a-9c8e-1d2b3a4c5e6f")
	add("http://schemas.microsoft.com/identity/claims/tenantid", "0f1e2d3c-0000-4000-8000-000000000001")
	add("http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "Reports.Read", "Admin")
	if groups > 0 {
		add("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", groupIDs(groups)...)
	}
	return a
}

// groupIDs are n group object IDs as Entra writes them (random-looking lower-case GUIDs).
func groupIDs(n int) []string {
	var gs []string
	for i := range n {
		h := sha256.Sum256([]byte(fmt.Sprint("group ", i)))
		x := hex.EncodeToString(h[:16])
		gs = append(gs, x[0:8]+"-"+x[8:12]+"-"+x[12:16]+"-"+x[16:20]+"-"+x[20:32])
	}
	return gs
}

// overageAssertion is what Entra sends for a user in more than 150 groups: a link to
// Microsoft Graph instead of the groups claim.
func overageAssertion() *assertion.Assertion {
	a := entraAssertion(0, time.Time{})
	const link = "http://schemas.microsoft.com/claims/groups.link"
	a.Attributes[link] = assertion.Attribute{Name: link, Values: []string{"https://graph.windows.net/0f1e2d3c-0000-4000-8000-000000000001/users/4a9f3c1e-7b2d-4f6a-9c8e-1d2b3a4c5e6f/getMemberObjects"}}
	a.AttributeNames = append(a.AttributeNames, link)
	return a
}

func sessionCookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if strings.HasSuffix(c.Name, "-session") && c.MaxAge > 0 {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", rec.Result().Cookies())
	return nil
}

// Entra's maximum of 150 group IDs, the identity, two roles and a little app data fit
// one cookie a browser keeps (under 4 KB), and read back exactly.
func TestSessionCookieHolds150GroupsUnder4KB(t *testing.T) {
	w := newWebTest(t, nil, nil)
	rec := httptest.NewRecorder()
	data := map[string]string{"user": "u-000123"}
	if _, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(150, time.Time{}), data); err != nil {
		t.Fatal(err)
	}
	c := sessionCookie(t, rec)
	size := len(c.Name) + len(c.Value)
	t.Logf("session cookie with 150 groups: %d bytes (name+value); Set-Cookie header %d bytes", size, len(c.String()))
	if size > maxSessionCookie || len(c.String()) > 4096 {
		t.Errorf("session cookie is %d bytes (%d with attributes) with 150 groups; browsers keep 4,096", size, len(c.String()))
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	sess := w.h.Session(r)
	if sess == nil {
		t.Fatal("session does not read back")
	}
	want := Session{
		NameID:       "adele@contoso.example",
		NameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		Issuer:       "https://sts.windows.net/0f1e2d3c-0000-4000-8000-000000000001/",
		SessionIndex: "_5e1c7a2f-0000-4000-8000-000000000001",
		ObjectID:     "4a9f3c1e-7b2d-4f6a-9c8e-1d2b3a4c5e6f",
		TenantID:     "0f1e2d3c-0000-4000-8000-000000000001",
		Email:        "adele@contoso.example",
		DisplayName:  "Adele Vance",
		Groups:       groupIDs(150),
		Roles:        []string{"Reports.Read", "Admin"},
		Data:         data,
		Expires:      reqNow.Add(8 * time.Hour),
		Seen:         reqNow,
	}
	if !sess.Expires.Equal(want.Expires) || !sess.Seen.Equal(want.Seen) {
		t.Errorf("Expires %v Seen %v, want %v %v", sess.Expires, sess.Seen, want.Expires, want.Seen)
	}
	sess.Expires, sess.Seen = want.Expires, want.Seen
	if !reflect.DeepEqual(*sess, want) {
		t.Errorf("session %+v\nwant     %+v", *sess, want)
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %s: want HttpOnly, Secure, SameSite=Lax", c)
	}
}

// Groups that are not GUIDs (Entra can emit names) read back as they came, and a session
// that cannot fit a cookie is refused with a clear error, never truncated.
func TestSessionCookieKeepsTextGroupsAndRefusesWhatDoesNotFit(t *testing.T) {
	w := newWebTest(t, nil, nil)
	a := entraAssertion(0, time.Time{})
	const claim = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	named := []string{"Finance", "4A9F3C1E-7B2D-4F6A-9C8E-1D2B3A4C5E6F", "contoso\\report-readers"}
	a.Attributes[claim] = assertion.Attribute{Name: claim, Values: named}
	rec := httptest.NewRecorder()
	if _, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/", nil), a, nil); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(sessionCookie(t, rec))
	if sess := w.h.Session(r); sess == nil || !reflect.DeepEqual(sess.Groups, named) {
		t.Errorf("text groups read back as %v, want %v", sess, named)
	}

	var many []string
	for i := range 150 {
		many = append(many, fmt.Sprint("Contoso group number ", i))
	}
	a.Attributes[claim] = assertion.Attribute{Name: claim, Values: many}
	rec = httptest.NewRecorder()
	_, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/", nil), a, nil)
	if !errors.Is(err, ErrSessionTooLarge) || !strings.Contains(err.Error(), "SessionStore") {
		t.Errorf("150 group names: err = %v, want ErrSessionTooLarge naming SessionStore", err)
	}
	if len(rec.Result().Cookies()) != 0 {
		t.Errorf("a session too large still set %v", rec.Result().Cookies())
	}
}

// A user in too many groups arrives with Entra's groups link instead of the groups: the
// session says so (GroupsOverage), it does not claim the user is in no group.
func TestSessionRecordsGroupsOverage(t *testing.T) {
	w := newWebTest(t, nil, nil)
	rec := httptest.NewRecorder()
	sess, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/", nil), overageAssertion(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.GroupsOverage || len(sess.Groups) != 0 {
		t.Errorf("overage session: GroupsOverage %v, Groups %v", sess.GroupsOverage, sess.Groups)
	}
	c := sessionCookie(t, rec)
	t.Logf("session cookie with a groups overage: %d bytes (name+value)", len(c.Name)+len(c.Value))
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	if got := w.h.Session(r); got == nil || !got.GroupsOverage {
		t.Errorf("overage did not read back: %+v", got)
	}
}

func TestSessionLifetimeIsBoundedByIdPAndMaxAge(t *testing.T) {
	tests := []struct {
		name       string
		maxAge     time.Duration
		sessionEnd time.Time
		want       time.Time
	}{
		{"IdP's SessionNotOnOrAfter is sooner", 8 * time.Hour, reqNow.Add(time.Hour), reqNow.Add(time.Hour)},
		{"SessionMaxAge is sooner", 30 * time.Minute, reqNow.Add(time.Hour), reqNow.Add(30 * time.Minute)},
		{"IdP sets no limit", 2 * time.Hour, time.Time{}, reqNow.Add(2 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWebTest(t, nil, func(hc *Config) { hc.SessionMaxAge = tt.maxAge })
			rec := httptest.NewRecorder()
			sess, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(0, tt.sessionEnd), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sess.Expires.Equal(tt.want) {
				t.Errorf("Expires %v, want %v", sess.Expires, tt.want)
			}
			if c := sessionCookie(t, rec); c.MaxAge != int(tt.want.Sub(reqNow).Seconds()) {
				t.Errorf("cookie MaxAge %d, want %v", c.MaxAge, tt.want.Sub(reqNow))
			}
		})
	}
}

func TestStartSessionRefusesEndedIdPSession(t *testing.T) {
	w := newWebTest(t, nil, nil)
	if _, err := w.h.StartSession(httptest.NewRecorder(), httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(0, reqNow), nil); err == nil {
		t.Error("started a session the IdP already ended")
	}
}

func TestSessionIsRefusedWhenExpiredOrTampered(t *testing.T) {
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionMaxAge = time.Hour })
	rec := httptest.NewRecorder()
	if _, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(0, time.Time{}), nil); err != nil {
		t.Fatal(err)
	}
	good := sessionCookie(t, rec)
	read := func(c *http.Cookie) *Session {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(c)
		return w.h.Session(r)
	}
	payload, mac, _ := strings.Cut(good.Value, ".")
	forged, _ := w.h.codec.seal("other", Session{NameID: "admin@contoso.example", Expires: reqNow.Add(time.Hour)})
	fp, _, _ := strings.Cut(forged, ".")
	for name, value := range map[string]string{
		"payload swapped": fp + "." + mac,
		"MAC stripped":    payload,
	} {
		if s := read(&http.Cookie{Name: good.Name, Value: value}); s != nil {
			t.Errorf("%s: session accepted: %+v", name, s)
		}
	}
	if read(good) == nil {
		t.Fatal("good session refused")
	}
	w.advance(time.Hour)
	if s := read(good); s != nil {
		t.Errorf("session accepted at its expiry: %+v", s)
	}
}

func TestRequireLogin(t *testing.T) {
	w := newWebTest(t, nil, nil)
	app := w.h.RequireLogin(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		sess, ok := SessionFrom(r.Context())
		if !ok {
			t.Error("next ran without a session in its context")
			return
		}
		fmt.Fprint(rw, "hello "+sess.NameID)
	}))

	t.Run("anonymous GET goes to the IdP and will come back", func(t *testing.T) {
		rec := w.do(app, httptest.NewRequest("GET", "/reports?year=2026", nil))
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || loc.Host != "login.microsoftonline.com" {
			t.Fatalf("status %d to %s, want 302 to the IdP", rec.Code, loc)
		}
		var p pendingCookie
		cs := rec.Result().Cookies()
		if len(cs) != 1 || w.h.codec.open(cs[0].Name, cs[0].Value, &p) != nil || p.ReturnTo != "/reports?year=2026" {
			t.Errorf("pending login %+v in %v, want return to /reports?year=2026", p, cs)
		}
	})
	t.Run("anonymous POST gets 401", func(t *testing.T) {
		if rec := w.do(app, httptest.NewRequest("POST", "/reports", nil)); rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", rec.Code)
		}
	})
	t.Run("signed-in user reaches the page", func(t *testing.T) {
		rec := httptest.NewRecorder()
		w.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(0, time.Time{}), nil)
		got := w.do(app, httptest.NewRequest("GET", "/reports", nil), sessionCookie(t, rec))
		if got.Code != http.StatusOK || got.Body.String() != "hello adele@contoso.example" {
			t.Errorf("status %d body %q", got.Code, got.Body)
		}
	})
}

func TestEndSessionDeletesSessionCookie(t *testing.T) {
	w := newWebTest(t, nil, nil)
	rec := httptest.NewRecorder()
	w.h.EndSession(rec, httptest.NewRequest("POST", "/logout", nil))
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != "__Host-saml-session" || cs[0].MaxAge >= 0 {
		t.Errorf("EndSession set %v, want the session cookie deleted", cs)
	}
}

func BenchmarkSessionCookieRead(b *testing.B) {
	w := newWebTest(b, nil, nil)
	rec := httptest.NewRecorder()
	if _, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(150, time.Time{}), nil); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(rec.Result().Cookies()[0])
	b.ReportAllocs()
	for b.Loop() {
		if w.h.Session(r) == nil {
			b.Fatal("no session")
		}
	}
}

// Apps share one CookieKey (and the default cookie name) across every organization's SP.
// A session started by one SP/IdP pair must not be served by another: org B's IdP could
// otherwise assert anyone into org A.
func TestSessionIsBoundToItsSPAndIdP(t *testing.T) {
	orgA := newWebTest(t, nil, nil)
	for name, edit := range map[string]func(*sp.Config){
		"another IdP":         func(c *sp.Config) { c.IdP.EntityID = "https://sts.windows.net/0badbad0-0000-4000-8000-000000000000/" },
		"another SP EntityID": func(c *sp.Config) { c.EntityID = "https://other-org.example/saml" },
	} {
		t.Run(name, func(t *testing.T) {
			orgB := newWebTest(t, edit, nil)
			rec := httptest.NewRecorder()
			if _, err := orgB.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(0, time.Time{}), nil); err != nil {
				t.Fatal(err)
			}
			c := sessionCookie(t, rec)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(c)
			if orgB.h.Session(r) == nil {
				t.Fatal("control: the session does not open where it was started")
			}
			if s := orgA.h.Session(r); s != nil {
				t.Fatalf("org A served org B's session for %q", s.NameID)
			}
		})
	}
}

// Through the ACS, a signed Entra-shaped response with 150 group IDs starts a
// cookie-only session a browser keeps; with Entra's overage claim instead, the session
// records the overage.
func TestACSStartsASessionWith150GroupsOrAnOverage(t *testing.T) {
	idp := samltest.DefaultIdP()
	for name, opts := range map[string]samltest.Options{
		"150 groups": {Groups: groupIDs(150)},
		"overage": {Attributes: []samltest.Attribute{{Name: "http://schemas.microsoft.com/claims/groups.link",
			Values: []string{"https://graph.windows.net/7c1e4f2a-93b5-4d08-a6e1-2f8b0c9d5e37/users/5f2b8c1d-7e4a-4b9f-a3c6-1d8e2f0b7a94/getMemberObjects"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWebTest(t, func(c *sp.Config) {
				g := genConfig(idp)
				c.EntityID, c.ACSURL, c.IdP, c.Now = g.EntityID, g.ACSURL, g.IdP, g.Now
			}, nil)
			relayState, id, cookie := w.login("/reports")
			opts.InResponseTo = id
			form := url.Values{"RelayState": {relayState}, "SAMLResponse": {genResponse(t, idp, opts)}}
			r := httptest.NewRequest("POST", "/saml/consume", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := w.do(w.h.ACS(), r, cookie)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("status %d: %s\n%s", rec.Code, rec.Body, w.logs)
			}
			c := sessionCookie(t, rec)
			t.Logf("%s: session cookie %d bytes (name+value), Set-Cookie %d bytes", name, len(c.Name)+len(c.Value), len(c.String()))
			if len(c.String()) > 4096 {
				t.Errorf("Set-Cookie is %d bytes; browsers keep 4,096", len(c.String()))
			}
			read := httptest.NewRequest("GET", "/reports", nil)
			read.AddCookie(c)
			sess := w.h.Session(read)
			switch {
			case sess == nil:
				t.Fatal("the session does not read back")
			case name == "150 groups" && !reflect.DeepEqual(sess.Groups, groupIDs(150)):
				t.Errorf("groups read back as %d values", len(sess.Groups))
			case name == "overage" && (!sess.GroupsOverage || len(sess.Groups) != 0):
				t.Errorf("overage read back as GroupsOverage=%v, %d groups", sess.GroupsOverage, len(sess.Groups))
			}
		})
	}
}
