package metadata

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/recorded"
)

func TestParseIdPReadsRecordedEntraMetadata(t *testing.T) {
	tests := []struct {
		file      string
		signer    string // the recorded certificate that signs it (and must be listed)
		certs     int    // distinct signing certificates, per SOURCES.md
		entityID  string
		tenantURL string // SSO and SLO
	}{
		{"006-identitymodel-2017-common-federationmetadata.xml", "003-identitymodel-2017.cert.pem", 3,
			"https://sts.windows.net/{tenantid}/", "https://login.microsoftonline.com/common/saml2"},
		{"010-wire-2018-federationmetadata.xml", "007-wire-2018.cert.pem", 2,
			"https://sts.windows.net/682febe8-021b-4fde-ac09-e60085f05181/", "https://login.microsoftonline.com/682febe8-021b-4fde-ac09-e60085f05181/saml2"},
		{"022-wire-server-2025-federationmetadata.xml", "021-wire-server-2025.cert.pem", 1,
			"https://sts.windows.net/92b20d54-6bdd-4686-9286-c44865f50277/", "https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			idp, err := ParseIdP(recorded.Read(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if idp.EntityID != tt.entityID || idp.SSOURL != tt.tenantURL || idp.SLOURL != tt.tenantURL || idp.SSOBinding != BindingHTTPRedirect {
				t.Errorf("got entity %q SSO %q (%s) SLO %q", idp.EntityID, idp.SSOURL, idp.SSOBinding, idp.SLOURL)
			}
			tps := thumbprints(idp.Certificates)
			if len(tps) != tt.certs {
				t.Errorf("%d certificates %v, want %d", len(tps), tps, tt.certs)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(tps)))) != len(tps) {
				t.Errorf("duplicates in %v", tps)
			}
			if signer := certs.Thumbprint(recordedCert(t, tt.signer)); !slices.Contains(tps, signer) {
				t.Errorf("signer %s (%s) not among %v", tt.signer, signer, tps)
			}
		})
	}
}

// 015 was published before the tenant rolled its key: it parses, but trusting it alone
// would reject the responses 013 and 014 (signed by the newer certificate).
func TestParseIdPStaleMetadataLacksTheNewCertificate(t *testing.T) {
	idp, err := ParseIdP(recorded.Read(t, "015-badgr-2021-federationmetadata-reformatted-stale.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(idp.Certificates) == 0 {
		t.Fatal("no certificates")
	}
	if idp.EntityID != "https://sts.windows.net/2f277f1e-e5f1-4f62-b595-79c2d13afda4/" {
		t.Errorf("entity %q", idp.EntityID)
	}
	signer := certs.Thumbprint(recordedCert(t, "013-badgr-2021.cert.pem"))
	if slices.Contains(thumbprints(idp.Certificates), signer) {
		t.Errorf("stale metadata unexpectedly lists 013's certificate %s", signer)
	}
}

func TestParseIdPSigningCertificatesInOrderWithoutDuplicates(t *testing.T) {
	a, b, c := testSigners(t)[0].cert, testSigners(t)[1].cert, testSigners(t)[2].cert
	doc := entity("https://idp.example/", idpDescriptor(
		kd("signing", b), kd("encryption", c), kd("", a), kd("signing", b), redirectSSO))
	idp, err := ParseIdP([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := thumbprints(idp.Certificates)
	want := []string{certs.Thumbprint(b), certs.Thumbprint(a)}
	if !slices.Equal(got, want) {
		t.Errorf("certificates %v, want %v (signing and use-less, deduplicated, in order; not encryption)", got, want)
	}
}

func TestParseIdPPrefersRedirectBinding(t *testing.T) {
	c := testCert(t)
	tests := []struct {
		name, body, url, binding, slo, sloBinding string
	}{
		{"POST listed first", postSSO + redirectSSO + redirectSLO, "https://idp.example/sso/redirect", BindingHTTPRedirect, "https://idp.example/slo", BindingHTTPRedirect},
		{"only POST", postSSO, "https://idp.example/sso/post", BindingHTTPPost, "", ""},
		{"SLO by POST only", redirectSSO + `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/slo/post"/>`,
			"https://idp.example/sso/redirect", BindingHTTPRedirect, "https://idp.example/slo/post", BindingHTTPPost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp, err := ParseIdP([]byte(entity("https://idp.example/", idpDescriptor(kd("signing", c), tt.body))))
			if err != nil {
				t.Fatal(err)
			}
			if idp.SSOURL != tt.url || idp.SSOBinding != tt.binding || idp.SLOURL != tt.slo || idp.SLOBinding != tt.sloBinding {
				t.Errorf("got %q %q SLO %q %q", idp.SSOURL, idp.SSOBinding, idp.SLOURL, idp.SLOBinding)
			}
		})
	}
}

func TestParseIdPMatchesNamespacesNotPrefixes(t *testing.T) {
	c := testCert(t)
	doc := fmt.Sprintf(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:dsig="http://www.w3.org/2000/09/xmldsig#" entityID=" https://idp.example/ ">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol urn:oasis:names:tc:SAML:2.0:protocol">
<md:KeyDescriptor use="signing"><dsig:KeyInfo><dsig:X509Data><dsig:X509Certificate>
%s
</dsig:X509Certificate></dsig:X509Data></dsig:KeyInfo></md:KeyDescriptor>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
</md:IDPSSODescriptor></md:EntityDescriptor>`, wrapLines(b64(c), 64))
	idp, err := ParseIdP([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if idp.EntityID != "https://idp.example/" || len(idp.Certificates) != 1 || idp.SSOURL != "https://idp.example/sso" {
		t.Errorf("got %+v", idp)
	}
	// The same local names in another namespace are not metadata.
	wrongNS := strings.ReplaceAll(doc, "urn:oasis:names:tc:SAML:2.0:metadata", "urn:example:not-metadata")
	if _, err := ParseIdP([]byte(wrongNS)); !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), "root element") {
		t.Errorf("wrong namespace: %v", err)
	}
	// A certificate in a foreign namespace is not read.
	wrongDS := strings.ReplaceAll(doc, "http://www.w3.org/2000/09/xmldsig#", "urn:example:not-dsig")
	if _, err := ParseIdP([]byte(wrongDS)); !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), "no signing certificate") {
		t.Errorf("wrong dsig namespace: %v", err)
	}
}

func wrapLines(s string, n int) string {
	var lines []string
	for i := 0; i < len(s); i += n {
		lines = append(lines, s[i:min(i+n, len(s))])
	}
	return strings.Join(lines, "\r\n")
}

func TestParseIdPEntityPicksFromEntitiesDescriptor(t *testing.T) {
	c := testCert(t)
	idpA := entity("https://a.example/", idpDescriptor(kd("signing", c), redirectSSO))
	idpB := entity("https://b.example/", idpDescriptor(kd("signing", c), postSSO))
	sp := entity("https://sp.example/", `<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="1"/></SPSSODescriptor>`)
	group := func(parts ...string) []byte {
		return []byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.Join(parts, "") + `</EntitiesDescriptor>`)
	}
	nested := group(sp, `<EntitiesDescriptor>`+idpB+`</EntitiesDescriptor>`)

	if idp, err := ParseIdP(group(sp, idpA)); err != nil || idp.EntityID != "https://a.example/" {
		t.Errorf("one IdP beside an SP: %+v, %v", idp, err)
	}
	if idp, err := ParseIdP(nested); err != nil || idp.EntityID != "https://b.example/" {
		t.Errorf("nested: %+v, %v", idp, err)
	}
	both := group(idpA, sp, idpB)
	_, err := ParseIdP(both)
	if !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), `"https://a.example/"`) || !strings.Contains(err.Error(), "name its entity ID") {
		t.Errorf("two IdPs: %v, want a list of entity IDs and the way to pick one", err)
	}
	for _, id := range []string{"https://a.example/", "https://b.example/"} {
		if idp, err := ParseIdPEntity(both, id); err != nil || idp.EntityID != id {
			t.Errorf("ParseIdPEntity(%s): %+v, %v", id, idp, err)
		}
	}
	if _, err := ParseIdPEntity(both, "https://c.example/"); !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), "c.example") {
		t.Errorf("unknown entity: %v", err)
	}
	if _, err := ParseIdPEntity(both, "https://sp.example/"); !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), "service provider metadata") {
		t.Errorf("picking the SP: %v", err)
	}
	if _, err := ParseIdPEntity([]byte(idpA), "https://b.example/"); !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), "a.example") {
		t.Errorf("EntityDescriptor with another ID: %v", err)
	}
	if _, err := ParseIdP(group(sp)); !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), "no SAML 2.0 IdP") {
		t.Errorf("no IdP: %v", err)
	}
}

func TestParseIdPRejects(t *testing.T) {
	c := testCert(t)
	good := entity("https://idp.example/", idpDescriptor(kd("signing", c), redirectSSO))
	tests := []struct {
		name string
		doc  string
		kind error
		says string
	}{
		{"empty", "", ErrMalformed, "empty"},
		{"not XML", "MIIC...", ErrMalformed, "text that is not XML"},
		{"not well-formed", strings.TrimSuffix(good, "</EntityDescriptor>"), ErrMalformed, "not well-formed"},
		{"DOCTYPE with entity expansion", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>` + strings.Replace(good, "https://idp.example/", "&lol2;", 1), ErrMalformed, "DOCTYPE"},
		{"external entity", `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + good, ErrMalformed, "DOCTYPE"},
		{"two roots", good + good, ErrMalformed, "more than one root"},
		{"text after the root", good + "trailing", ErrMalformed, "text outside the root"},
		{"nested too deeply", strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1), ErrMalformed, "nested deeper"},
		{"too large", good + strings.Repeat(" ", MaxMetadataSize), ErrMalformed, "bytes"},
		{"SP metadata", entity("https://sp.example/", `<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>`), ErrNoIdP, "service provider metadata"},
		{"SAML 1.1 only IdP", strings.Replace(good, "SAML:2.0:protocol", "SAML:1.1:protocol", 1), ErrNoIdP, "without a SAML 2.0 IDPSSODescriptor"},
		{"WS-Federation only", entity("https://idp.example/", `<RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">`+kd("signing", c)+`</RoleDescriptor>`), ErrNoIdP, "without a SAML 2.0 IDPSSODescriptor"},
		{"no entityID", strings.Replace(good, ` entityID="https://idp.example/"`, "", 1), ErrNoIdP, "without entityID"},
		{"only an encryption certificate", entity("https://idp.example/", idpDescriptor(kd("encryption", c), redirectSSO)), ErrNoIdP, "no signing certificate"},
		{"damaged certificate", strings.Replace(good, b64(c)[:40], "AAAA", 1), ErrCertificate, "KeyDescriptor 1"},
		{"thumbprint in X509Certificate", strings.Replace(good, b64(c), certs.Thumbprint(c), 1), ErrCertificate, "thumbprint"},
		{"no SSO service", entity("https://idp.example/", idpDescriptor(kd("signing", c))), ErrNoIdP, "no SingleSignOnService"},
		{"SSO with an unsupported binding only", entity("https://idp.example/", idpDescriptor(kd("signing", c), `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://idp.example/soap"/>`)), ErrNoIdP, "no SingleSignOnService"},
		{"SSO location is a script", strings.Replace(good, "https://idp.example/sso/redirect", "javascript:alert(1)", 1), ErrNoIdP, "SingleSignOnService Location"},
		{"SLO location is relative", entity("https://idp.example/", idpDescriptor(kd("signing", c), redirectSSO, `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="/slo"/>`)), ErrNoIdP, "SingleLogoutService Location"},
		// The strict gate responses pass (internal/xmlgate), for metadata too.
		{"duplicate use attribute turns an encryption key into a signing key", entity("https://idp.example/", idpDescriptor(strings.Replace(kd("encryption", c), `use="encryption"`, `use="encryption" use="signing"`, 1), redirectSSO)), ErrMalformed, "appears twice"},
		{"the same attribute under two prefixes", strings.Replace(good, `<IDPSSODescriptor `, `<IDPSSODescriptor xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2" `, 1), ErrMalformed, "same attribute"},
		{"processing instruction", strings.Replace(good, "<IDPSSODescriptor", "<?php x?><IDPSSODescriptor", 1), ErrMalformed, "processing instruction"},
		{"undeclared prefix", strings.Replace(good, "<IDPSSODescriptor", "<x:Extensions/><IDPSSODescriptor", 1), ErrMalformed, "undeclared prefix"},
		{"duplicate ID", strings.Replace(strings.Replace(good, "<IDPSSODescriptor ", `<IDPSSODescriptor ID="_a" `, 1), "<EntityDescriptor ", `<EntityDescriptor ID="_a" `, 1), ErrMalformed, "used twice"},
		{"saved as UTF-16", string(utf16LE(good)), ErrMalformed, "UTF-16"},
		{"a SAML response", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>`, ErrNoIdP, "root element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp, err := ParseIdP([]byte(tt.doc))
			if err == nil {
				t.Fatalf("accepted as %+v", idp)
			}
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q, want %v saying %q", err, tt.kind, tt.says)
			}
		})
	}
}

// utf16LE is s as Windows Notepad saves "Unicode": a byte order mark, then UTF-16LE.
func utf16LE(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, c := range utf16.Encode([]rune(s)) {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

func TestParseIdPAcceptsUTF8ByteOrderMark(t *testing.T) {
	c := testCert(t)
	doc := append([]byte("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"), entity("https://idp.example/", idpDescriptor(kd("signing", c), redirectSSO))...)
	if idp, err := ParseIdP(doc); err != nil || idp.EntityID != "https://idp.example/" {
		t.Errorf("got %+v, %v", idp, err)
	}
	s := testSigner(t)
	signed := append([]byte("\xef\xbb\xbf"), signMetadata(t, s, dsig.RSASHA256SignatureMethod)...)
	if err := VerifySignature(signed, s.cert); err != nil {
		t.Errorf("signed metadata with a BOM: %v", err)
	}
}

// The gate's limits, sized for metadata: each just under (read) and just over (refused).
func TestParseIdPLimitsJustUnderAndOver(t *testing.T) {
	c := testCert(t)
	doc := func(extra string) []byte {
		return []byte(entity("https://idp.example/", `<Extensions xmlns:x="urn:x">`+extra+`</Extensions>`+idpDescriptor(kd("signing", c), redirectSSO)))
	}
	// Exactly maxAttributes, counting the 8 of the document around them.
	attrs := strings.Repeat(`<x:x a="" b="" c=""/>`, (maxAttributes-8)/3) + strings.Repeat(`<x:x a=""/>`, (maxAttributes-8)%3)
	for _, tc := range []struct {
		name        string
		under, over []byte
		says        string
	}{
		{"value length", doc(`<x:x>` + strings.Repeat("a", maxValueLength) + `</x:x>`), doc(`<x:x>` + strings.Repeat("a", maxValueLength+1) + `</x:x>`), "longer than"},
		{"comments", doc(strings.Repeat("<!---->", maxComments)), doc(strings.Repeat("<!---->", maxComments+1)), "comments"},
		{"elements", doc(strings.Repeat(`<x:x/>`, maxElements-8)), doc(strings.Repeat(`<x:x/>`, maxElements-7)), "elements"},
		// The document around them holds 8 attributes.
		{"attributes", doc(attrs), doc(attrs + `<x:x a=""/>`), "attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseIdP(tc.under); err != nil {
				t.Fatalf("just under: %v", err)
			}
			if _, err := ParseIdP(tc.over); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("just over: %v, want ErrMalformed saying %q", err, tc.says)
			}
		})
	}
}

// The costliest metadata the limits admit stays under 32 MiB allocated (about 13 MiB:
// BenchmarkParseIdPWorstCase), so the limits, not the input, bound the cost.
func TestParseIdPWorstCaseAllocationIsBounded(t *testing.T) {
	data := worstMetadata(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := ParseIdP(data); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
		t.Errorf("%d bytes of metadata allocated %d bytes, want under 32 MiB", len(data), n)
	}
}
