package orgs_test

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp/orgs"
)

// A form posted with the Field* names reads back as the Settings and version it showed;
// absent check boxes are false, an empty domain list is none.
func TestSettingsFromForm(t *testing.T) {
	form := url.Values{
		orgs.FieldLoginURL: {"https://idp.example/sso"}, orgs.FieldMetadataXML: {"<md/>"}, orgs.FieldMetadataURL: {"https://idp.example/md"},
		orgs.FieldCertificate: {"CERT"}, orgs.FieldIdPEntityID: {"https://idp.example/"}, orgs.FieldLogoutURL: {"https://idp.example/slo"},
		orgs.FieldAllowedEmailDomains: {"a.example, b.example"}, orgs.FieldSignedAssertions: {"on"}, orgs.FieldAllowIdPInitiated: {"on"},
		orgs.FieldVersion: {"7"},
	}
	r := httptest.NewRequest("POST", base+"/settings", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s, v := orgs.SettingsFromForm(r)
	want := orgs.Settings{LoginURL: "https://idp.example/sso", MetadataXML: "<md/>", MetadataURL: "https://idp.example/md", Certificate: "CERT",
		IdPEntityID: "https://idp.example/", LogoutURL: "https://idp.example/slo", AllowedEmailDomains: []string{"a.example, b.example"},
		SignedAssertions: true, AllowIdPInitiated: true}
	if v != 7 || !reflect.DeepEqual(s, want) {
		t.Errorf("SettingsFromForm = %+v, %d\nwant %+v, 7", s, v, want)
	}
	r = httptest.NewRequest("POST", base+"/settings", strings.NewReader(orgs.FieldLoginURL+"=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s, v := orgs.SettingsFromForm(r); v != 0 || s.SignedAssertions || s.AllowIdPInitiated || s.AllowedEmailDomains != nil {
		t.Errorf("without check boxes, version or domains: %+v, %d", s, v)
	}
}

// Preconfigure creates the organization with a pending version by the operator, does
// nothing when run again with the same settings, adds a version for new ones, never
// enables anything, and stores nothing for invalid settings.
func TestPreconfigure(t *testing.T) {
	ctx := t.Context()
	st := orgs.NewMemoryStore()
	s := entra(samltest.DefaultIdP())
	if err := orgs.Preconfigure(ctx, st, "acme", s, "command line", samltest.Now); err != nil {
		t.Fatal(err)
	}
	o, err := st.Get(ctx, "acme")
	if err != nil || o.Pending == nil || o.Pending.Number != 1 || o.Pending.ChangedBy != "command line" || o.Enabled || o.Active != nil {
		t.Fatalf("after Preconfigure: %+v, %v", o, err)
	}
	rev := o.Revision
	if err := orgs.Preconfigure(ctx, st, "acme", s, "command line", samltest.Now); err != nil {
		t.Fatal(err)
	}
	if o, _ := st.Get(ctx, "acme"); o.Revision != rev || o.Pending.Number != 1 {
		t.Errorf("the same settings again changed the org: revision %d → %d, version %d", rev, o.Revision, o.Pending.Number)
	}
	s.AllowIdPInitiated = false
	if err := orgs.Preconfigure(ctx, st, "acme", s, "command line", samltest.Now); err != nil {
		t.Fatal(err)
	}
	if o, _ := st.Get(ctx, "acme"); o.Pending.Number != 2 || o.Pending.Settings.AllowIdPInitiated || o.Enabled {
		t.Errorf("new settings: %+v", o.Pending)
	}
	var se *orgs.SettingsError
	if err := orgs.Preconfigure(ctx, st, "globex", orgs.Settings{LoginURL: "not a URL"}, "command line", samltest.Now); !errors.As(err, &se) || se.Fields[orgs.FieldLoginURL] == "" {
		t.Errorf("invalid settings: %v", err)
	}
	if _, err := st.Get(ctx, "globex"); !errors.Is(err, orgs.ErrNotFound) {
		t.Errorf("invalid settings stored an organization: %v", err)
	}
}

// Claims keeps the IdP's order and every value.
func TestClaims(t *testing.T) {
	a := &assertion.Assertion{AttributeNames: []string{"b", "a"}, Attributes: map[string]assertion.Attribute{
		"a": {Name: "a", Values: []string{"1"}}, "b": {Name: "b", Values: []string{"2", "3"}}}}
	want := []orgs.Claim{{"b", []string{"2", "3"}}, {"a", []string{"1"}}}
	if got := orgs.Claims(a); !reflect.DeepEqual(got, want) {
		t.Errorf("Claims = %v, want %v", got, want)
	}
	for name, short := range map[string]string{assertion.ClaimGroups: "groups", "email": "email", "urn:x/": "urn:x/"} {
		if got := (orgs.Claim{Name: name}).ShortName(); got != short {
			t.Errorf("ShortName of %q = %q, want %q", name, got, short)
		}
	}
	if orgs.Claims(nil) != nil {
		t.Error("Claims(nil) is not nil")
	}
}

// MemberOf reads Entra's claims, and on a groups overage the link instead of groups.
func TestMemberOf(t *testing.T) {
	attrs := func(kv ...string) *assertion.Assertion {
		a := &assertion.Assertion{Attributes: map[string]assertion.Attribute{}}
		for i := 0; i < len(kv); i += 2 {
			a.AttributeNames = append(a.AttributeNames, kv[i])
			a.Attributes[kv[i]] = assertion.Attribute{Name: kv[i], Values: append(a.Attributes[kv[i]].Values, kv[i+1])}
		}
		return a
	}
	a := attrs(assertion.ClaimObjectID, "oid", assertion.ClaimEmail, "adele@contoso.example", assertion.ClaimGroups, "g1")
	m := orgs.MemberOf(a, samltest.Now)
	want := &orgs.Member{ObjectID: "oid", Email: "adele@contoso.example", Groups: []string{"g1"}, Claims: orgs.Claims(a), LastLogin: samltest.Now}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("MemberOf = %+v\nwant %+v", m, want)
	}
	over := orgs.MemberOf(attrs(assertion.ClaimGroupsLink, "https://graph.microsoft.com/v1.0/users/oid/getMemberObjects"), samltest.Now)
	if over.Groups != nil || over.GroupsLink != "https://graph.microsoft.com/v1.0/users/oid/getMemberObjects" {
		t.Errorf("overage: groups %v, link %q", over.Groups, over.GroupsLink)
	}
}

// CheckSameOrigin is the admin actions' rule, for the app's own forms.
func TestCheckSameOrigin(t *testing.T) {
	m := newHarness(t).m
	for _, c := range []struct {
		name, method, origin, site string
		ok                         bool
	}{
		{"same Origin", "POST", base, "", true},
		{"Sec-Fetch-Site same-origin", "POST", "", "same-origin", true},
		{"other Origin", "POST", "https://evil.example", "same-origin", false},
		{"cross-site", "POST", "", "cross-site", false},
		{"neither header", "POST", "", "", false},
		{"GET", "GET", base, "", false},
	} {
		r := httptest.NewRequest(c.method, base+"/", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		if err := m.CheckSameOrigin(r); (err == nil) != c.ok || (err != nil && !errors.Is(err, orgs.ErrCrossOrigin)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
