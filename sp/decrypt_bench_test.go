package sp

import (
	"context"
	"crypto/aes"
	"crypto/rand"
	"testing"

	"github.com/ssokit/saml/internal/samltest"
)

// BenchmarkDecryptionFailure is the padding-oracle probe of #18.1: an unsigned Response
// (Entra's default signs only the assertion, inside the ciphertext) whose second-to-last
// CBC block an attacker altered, so the plaintext ends in a garbled block and a last
// byte that is a good or a bad padding. Both are rejected with the same error; compare
// the two medians (go test -bench DecryptionFailure -count 10): they must not differ.
func BenchmarkDecryptionFailure(b *testing.B) {
	doc, plain := signedPlaintext(b, samltest.Options{Groups: benchGroups(150)})
	probe := func(last byte) func([]byte) []byte {
		return func(p []byte) []byte {
			out := pkcs7(p)
			rand.Read(out[len(out)-2*aes.BlockSize : len(out)-aes.BlockSize])
			out[len(out)-1] = last
			return out
		}
	}
	for _, c := range []struct {
		name string
		last byte
	}{{"good padding", 0x01}, {"bad padding", 0x00}} {
		b.Run(c.name, func(b *testing.B) {
			cfg := genConfig(samltest.DefaultIdP())
			cfg.Key = samltest.DefaultSP().KeyPair()
			cfg.ReplayCache = forgetful{}
			s, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			form := responseWith(doc, encryptAs(b, plain, encSpec{pad: probe(c.last)}))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ValidateResponse(context.Background(), form, samltest.RequestID); err == nil {
					b.Fatal("accepted a garbled ciphertext")
				}
			}
		})
	}
}

func benchGroups(n int) []string {
	g := make([]string, n)
	for i := range g {
		g[i] = "00000000-0000-4000-8000-" + string(rune('a'+i%26)) + "0000000000" + string(rune('a'+i/26%26))
	}
	return g
}
