package metadata

import (
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
