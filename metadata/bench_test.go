package metadata

import (
	"strings"
	"testing"

	"github.com/ssokit/saml/internal/recorded"
)

func BenchmarkParseIdP(b *testing.B) {
	data := recorded.Read(b, "006-identitymodel-2017-common-federationmetadata.xml")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseIdP(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	data := recorded.Read(b, "022-wire-server-2025-federationmetadata.xml")
	c := recordedCert(b, "021-wire-server-2025.cert.pem")
	for b.Loop() {
		if err := VerifySignature(data, c); err != nil {
			b.Fatal(err)
		}
	}
}

// worstMetadata is the costliest shape under the default limits: the most elements and
// attributes, then long text up to the size cap.
func worstMetadata(tb testing.TB) []byte {
	c := testCert(tb)
	body := strings.Repeat(`<x:x a="" b="" c=""/>`, (maxAttributes-8)/3-100) + strings.Repeat(`<x:x>`+strings.Repeat("a", 32<<10)+`</x:x>`, 100)
	return []byte(entity("https://idp.example/", `<Extensions xmlns:x="urn:x">`+body+`</Extensions>`+idpDescriptor(kd("signing", c), redirectSSO)))
}

func BenchmarkParseIdPWorstCase(b *testing.B) {
	data := worstMetadata(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseIdP(data); err != nil {
			b.Fatal(err)
		}
	}
}
