package metadata

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/internal/recorded"
)

// Each recorded federation metadata file verifies with the certificate SOURCES.md names
// as its signer, and with no other recorded certificate.
func TestVerifySignatureRecordedMetadata(t *testing.T) {
	signers := map[string]string{
		"006-identitymodel-2017-common-federationmetadata.xml":    "003-identitymodel-2017.cert.pem",
		"010-wire-2018-federationmetadata.xml":                    "007-wire-2018.cert.pem",
		"022-wire-server-2025-federationmetadata.xml":             "021-wire-server-2025.cert.pem",
		"015-badgr-2021-federationmetadata-reformatted-stale.xml": "", // reformatted: verifies with nothing
	}
	allCerts := []string{"003-identitymodel-2017.cert.pem", "007-wire-2018.cert.pem", "013-badgr-2021.cert.pem", "021-wire-server-2025.cert.pem"}
	for file, signer := range signers {
		data := recorded.Read(t, file)
		for _, name := range allCerts {
			err := VerifySignature(data, recordedCert(t, name))
			switch {
			case name == signer && err != nil:
				t.Errorf("%s with its signer %s: %v", file, name, err)
			case name != signer && !errors.Is(err, ErrSignature):
				t.Errorf("%s with %s: %v, want ErrSignature", file, name, err)
			}
		}
	}
	// 015 does not even verify with the certificate it lists itself: the bytes changed.
	data := recorded.Read(t, "015-badgr-2021-federationmetadata-reformatted-stale.xml")
	idp, err := ParseIdP(data)
	if err != nil {
		t.Fatal(err)
	}
	err = VerifySignature(data, idp.Certificates...)
	if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "changed after signing") {
		t.Errorf("015 with its own certificates: %v, want a signature error that says the file changed", err)
	}
}

func TestVerifySignatureTriesEveryTrustedCertificate(t *testing.T) {
	data := recorded.Read(t, "010-wire-2018-federationmetadata.xml")
	if err := VerifySignature(data, recordedCert(t, "021-wire-server-2025.cert.pem"), recordedCert(t, "007-wire-2018.cert.pem")); err != nil {
		t.Error(err)
	}
}

func TestParseSignedIdPReadsTheSignedEntity(t *testing.T) {
	for file, signer := range map[string]string{
		"010-wire-2018-federationmetadata.xml":        "007-wire-2018.cert.pem",
		"022-wire-server-2025-federationmetadata.xml": "021-wire-server-2025.cert.pem",
	} {
		data := recorded.Read(t, file)
		signed, err := ParseSignedIdP(data, "", recordedCert(t, signer))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		plain, err := ParseIdP(data)
		if err != nil {
			t.Fatal(err)
		}
		if signed.EntityID != plain.EntityID || signed.SSOURL != plain.SSOURL || signed.SLOURL != plain.SLOURL ||
			strings.Join(thumbprints(signed.Certificates), ",") != strings.Join(thumbprints(plain.Certificates), ",") {
			t.Errorf("%s: signed read %+v differs from plain read %+v", file, signed, plain)
		}
		if _, err := ParseSignedIdP(data, "", recordedCert(t, "003-identitymodel-2017.cert.pem")); !errors.Is(err, ErrSignature) {
			t.Errorf("%s with another certificate: %v", file, err)
		}
	}
}

// tamperFixture is signed metadata and the spellings its signature uses.
type tamperFixture struct {
	data                []byte
	signer              *x509.Certificate
	sigOpen, sigClose   string // the Signature element's tags as written
	sigMethod, location string // a SignatureMethod URI and an endpoint URL fragment present in data
}

// Run on Entra's own signed metadata (022) and on metadata signed here, so the rules are
// checked on any checkout and on the real thing where it is available.
func TestVerifySignatureRejectsTamperingAndOddShapes(t *testing.T) {
	t.Run("generated", func(t *testing.T) {
		s := testSigner(t)
		testTampering(t, tamperFixture{signMetadata(t, s, dsig.RSASHA256SignatureMethod), s.cert,
			"<ds:Signature ", "</ds:Signature>", "xmldsig-more#rsa-sha256", "/sso/redirect\""})
	})
	t.Run("recorded 022", func(t *testing.T) {
		testTampering(t, tamperFixture{recorded.Read(t, "022-wire-server-2025-federationmetadata.xml"), recordedCert(t, "021-wire-server-2025.cert.pem"),
			"<Signature ", "</Signature>", "xmldsig-more#rsa-sha256", "/saml2\""})
	})
}

func testTampering(t *testing.T, f tamperFixture) {
	data, signer := f.data, f.signer
	if err := VerifySignature(data, signer); err != nil {
		t.Fatalf("untouched fixture: %v", err)
	}
	replace := func(old, new string) []byte {
		t.Helper()
		if !bytes.Contains(data, []byte(old)) {
			t.Fatalf("fixture lacks %q", old)
		}
		return bytes.Replace(data, []byte(old), []byte(new), 1)
	}
	sigStart := bytes.Index(data, []byte(f.sigOpen))
	sigEnd := bytes.Index(data, []byte(f.sigClose)) + len(f.sigClose)
	if sigStart < 0 || sigEnd < len(f.sigClose) {
		t.Fatal("fixture has no Signature element")
	}
	sig := string(data[sigStart:sigEnd])
	unsigned := string(data[:sigStart]) + string(data[sigEnd:])
	declEnd := bytes.Index(data, []byte("?>")) + 2 // 0+2 without a declaration: keeps "<" out
	if declEnd == 1 {
		declEnd = 0
	}
	tests := []struct {
		name    string
		doc     []byte
		trusted []*x509.Certificate
		says    string
	}{
		{"endpoint URL changed", replace(f.location, "x"+f.location), []*x509.Certificate{signer}, "does not verify"},
		{"no trusted certificate", data, nil, "no trusted certificate"},
		{"unsigned", []byte(unsigned), []*x509.Certificate{signer}, "unsigned"},
		{"two signatures", []byte(strings.Replace(string(data), sig, sig+sig, 1)), []*x509.Certificate{signer}, "2 Signature elements"},
		{"signature moved after the descriptors", []byte(strings.Replace(unsigned, "</EntityDescriptor>", sig+"</EntityDescriptor>", 1)), []*x509.Certificate{signer}, "not its Signature"},
		{"reference to another element", replace(`URI="#_`, `URI="#x_`), []*x509.Certificate{signer}, "Reference URI"},
		{"root ID removed", replace(` ID="_`, ` xID="_`), []*x509.Certificate{signer}, "without an ID"},
		{"SHA-1 signature method", replace(f.sigMethod, "xmldsig#rsa-sha1\" x=\""), []*x509.Certificate{signer}, "SignatureMethod"},
		{"SHA-1 digest", replace("xmlenc#sha256", "xmldsig#sha1"), []*x509.Certificate{signer}, "DigestMethod"},
		{"XSLT transform", replace("xmldsig#enveloped-signature", "http://www.w3.org/TR/1999/REC-xslt-19991116"), []*x509.Certificate{signer}, "Transforms"},
		{"wrapped in an unsigned EntitiesDescriptor", []byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + string(data[declEnd:]) + `</EntitiesDescriptor>`), []*x509.Certificate{signer}, "unsigned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.doc, tt.trusted...)
			if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %v, want ErrSignature saying %q", err, tt.says)
			}
			if _, err := ParseSignedIdP(tt.doc, "", tt.trusted...); !errors.Is(err, ErrSignature) {
				t.Errorf("ParseSignedIdP: %v, want ErrSignature", err)
			}
		})
	}
}

// The KeyInfo a signature carries is never trusted: metadata signed by an attacker's key,
// with the attacker's certificate in KeyInfo, fails against the pinned certificate.
func TestVerifySignatureIgnoresKeyInfo(t *testing.T) {
	signer := testSigner(t)
	pinned := testSigners(t)[1].cert
	doc := signMetadata(t, signer, dsig.RSASHA256SignatureMethod)
	if !bytes.Contains(doc, []byte("<ds:X509Certificate>")) {
		t.Fatal("test signature carries no KeyInfo certificate")
	}
	if err := VerifySignature(doc, signer.cert); err != nil {
		t.Fatalf("own key: %v", err)
	}
	if err := VerifySignature(doc, pinned); !errors.Is(err, ErrSignature) {
		t.Errorf("pinned certificate: %v, want ErrSignature", err)
	}
}

// Algorithm policy, shown with signatures that are otherwise valid.
func TestVerifySignatureAlgorithmPolicy(t *testing.T) {
	signer := testSigner(t)
	tests := []struct {
		method string
		ok     bool
	}{
		{dsig.RSASHA256SignatureMethod, true},
		{dsig.RSASHA512SignatureMethod, true},
		{dsig.RSASHA1SignatureMethod, false},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			err := VerifySignature(signMetadata(t, signer, tt.method), signer.cert)
			if tt.ok && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tt.ok && (!errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "algorithm")) {
				t.Errorf("error %v, want an algorithm rejection", err)
			}
		})
	}
}

// Metadata signatures pass the profile of responses: RSA only (Entra signs with RSA).
func TestVerifySignatureRefusesECDSA(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	err = VerifySignature(signMetadata(t, signer{key: key, cert: c}, dsig.ECDSASHA256SignatureMethod), c)
	if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "algorithm") {
		t.Errorf("error %v, want an algorithm rejection", err)
	}
}

// signMetadata signs a small IdP EntityDescriptor the way Entra does (enveloped,
// exclusive c14n, Signature as first child) with the given method.
func signMetadata(t *testing.T, s signer, method string) []byte {
	t.Helper()
	doc := etree.NewDocument()
	body := entity("https://idp.example/", idpDescriptor(kd("signing", s.cert), redirectSSO))
	body = strings.Replace(body, "<EntityDescriptor ", `<EntityDescriptor ID="_meta1" `, 1)
	if err := doc.ReadFromString(body); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(method); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(doc.Root(), true)
	if err != nil {
		t.Fatal(err)
	}
	doc.Root().InsertChildAt(0, sig)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseIdP(out); err != nil {
		t.Fatalf("signed test metadata does not parse: %v", err)
	}
	return out
}
