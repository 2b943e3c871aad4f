package interop

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ssokit/saml/certs"
)

// Our SP as the peers see it. Nothing is contacted at these URLs.
const (
	spEntityID = "https://sp.example.test/metadata"
	acsURL     = "https://sp.example.test/saml/acs"
	nameID     = "alice@example.com"
)

// releasedAttributes is what every peer is told to release: a multi-valued attribute and a
// non-ASCII value, so both survive each IdP's serialisation and our parse.
var releasedAttributes = []Attribute{
	{Name: "mail", Values: []string{"alice@example.com"}},
	{Name: "givenName", Values: []string{"Zoë"}},
	{Name: "sn", Values: []string{"Example"}},
	{Name: "eduPersonAffiliation", Values: []string{"member", "staff"}},
}

var allPeers = []string{NamePySAML2, NameLasso, NameSimpleSAMLphp}

// TestHarnessCollectsWhatThePeerIssued checks the harness itself: the form value is the
// base64 of the IdP's exact bytes, the certificate parses, and the peer reports a signed
// success. Every interop result below depends on this plumbing being right.
func TestHarnessCollectsWhatThePeerIssued(t *testing.T) {
	for _, name := range allPeers {
		t.Run(name, func(t *testing.T) {
			b := bootPeer(t, name)
			r := b.first
			raw, err := base64.StdEncoding.DecodeString(r.Response)
			if err != nil {
				t.Fatalf("response.b64 is not base64: %v", err)
			}
			if !bytes.Equal(raw, r.XML) {
				t.Errorf("response.b64 does not decode to response.xml")
			}
			if strings.ContainsAny(r.Response, " \r\n") {
				t.Errorf("form value holds whitespace")
			}
			cs, err := certs.Parse(r.CertPEM)
			if err != nil || len(cs) != 1 {
				t.Fatalf("idp-cert.pem: %d certificates, err %v", len(cs), err)
			}
			if ok, _ := r.Info["success"].(bool); !ok {
				t.Errorf("info.json success = %v", r.Info["success"])
			}
			if n, _ := r.Info["signature_count"].(float64); n != 2 {
				t.Errorf("info.json signature_count = %v, want 2 (default --sign both)", r.Info["signature_count"])
			}
			if !bytes.Contains(r.XML, []byte(`Destination="`+acsURL+`"`)) {
				t.Errorf("response has no Destination=%q", acsURL)
			}
			if !bytes.Contains(r.Metadata, []byte("IDPSSODescriptor")) {
				t.Errorf("idp-metadata.xml holds no IDPSSODescriptor")
			}
		})
	}
}
