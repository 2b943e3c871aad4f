package web

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/base64"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// reqNow is the fixed clock of the handler tests.
var reqNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

var idpKey = sync.OnceValues(func() (*certs.KeyPair, error) {
	return certs.GenerateKeyPair("test idp", reqNow.Add(-time.Hour), 24*time.Hour)
})

// reqTestSP is an SP that looks like an Entra set-up; edit changes its Config first.
func reqTestSP(t testing.TB, edit func(*sp.Config)) *sp.SP {
	t.Helper()
	key, err := idpKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := sp.Config{
		EntityID: "https://app.example/saml",
		ACSURL:   "https://app.example/saml/consume",
		IdP: &metadata.IdP{
			EntityID:     "https://sts.windows.net/0f1e2d3c-0000-4000-8000-000000000001/",
			SSOURL:       "https://login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2",
			Certificates: []*x509.Certificate{key.Certificate},
		},
		Now: func() time.Time { return reqNow },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := sp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// inflateRequest undoes the HTTP-Redirect encoding of SAMLRequest.
func inflateRequest(t testing.TB, value string) *etree.Element {
	t.Helper()
	compressed, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatalf("SAMLRequest is not base64: %v", err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	if err != nil {
		t.Fatalf("SAMLRequest is not raw DEFLATE: %v", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("AuthnRequest is not XML: %v\n%s", err, raw)
	}
	if root := doc.Root(); root.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:protocol" || root.Tag != "AuthnRequest" {
		t.Fatalf("root is {%s}%s, want a SAML AuthnRequest", root.NamespaceURI(), root.Tag)
	}
	return doc.Root()
}

// genConfig is the SP the generated fixtures are addressed to.
func genConfig(idp *samltest.IdP) sp.Config {
	return sp.Config{
		EntityID: samltest.SPEntityID,
		ACSURL:   samltest.ACSURL,
		IdP:      idp.Metadata(),
		Now:      func() time.Time { return samltest.Now.Add(2 * time.Second) },
	}
}

func genResponse(t *testing.T, idp *samltest.IdP, o samltest.Options) string {
	t.Helper()
	return samltest.Encode(idp.MustResponse(t, o))
}
