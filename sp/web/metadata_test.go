package web

import (
	"mime"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssokit/saml/sp"
)

// #17: the metadata download is named for the SP, so an admin setting up several
// (one per organization, staging and production) can tell the files apart.
func TestMetadataDownloadIsNamedForTheSP(t *testing.T) {
	cases := []struct{ entityID, want string }{
		{"https://app.example/saml", "app.example-sp-metadata.xml"},
		{"https://app.example/organizations/acme/saml/metadata", "app.example-organizations-acme-sp-metadata.xml"},
		{"https://staging.app.example/organizations/acme/saml/metadata", "staging.app.example-organizations-acme-sp-metadata.xml"},
		{"http://localhost:8080/saml/metadata", "localhost-8080-sp-metadata.xml"},
		{"https://App.Example/Orgs/Ünïcode Co/SAML2/", "app.example-orgs-n-code-co-sp-metadata.xml"},
		{"https://app.example/a/../../etc/passwd", "app.example-a-etc-passwd-sp-metadata.xml"},
		{"urn:acme:hr-portal:sp", "acme-hr-portal-sp-metadata.xml"},
		{"https://app.example/\"; filename=evil.exe", "app.example-filename-evil.exe-sp-metadata.xml"},
		{"https://app.example/" + strings.Repeat("x", 300), "app.example-sp-metadata.xml"},
		{"spn", "spn-sp-metadata.xml"},
		{"urn:saml", "sp-metadata.xml"},
	}
	for _, c := range cases {
		t.Run(c.entityID, func(t *testing.T) {
			w := newWebTest(t, func(cfg *sp.Config) { cfg.EntityID = c.entityID }, nil)
			rec := w.do(w.h.Metadata(), httptest.NewRequest("GET", "/saml/metadata", nil))
			disp, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition"))
			if err != nil || disp != "attachment" || params["filename"] != c.want {
				t.Fatalf("Content-Disposition %q (%v), want attachment; filename=%q", rec.Header().Get("Content-Disposition"), err, c.want)
			}
			if len(params) != 1 || strings.ContainsAny(params["filename"], "/\\\" ") || strings.Contains(params["filename"], "..") {
				t.Errorf("unsafe download name %q", params)
			}
		})
	}
}
