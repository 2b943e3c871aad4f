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
	if orgs.Claims(nil) != nil {
		t.Error("Claims(nil) is not nil")
	}
}
