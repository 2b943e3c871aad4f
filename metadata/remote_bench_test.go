package metadata

import (
	"context"
	"net/http"
	"testing"

	"github.com/ssokit/saml/internal/recorded"
)

// BenchmarkRemoteCheck is the CPU a refresh that brings a changed document costs:
// parse (with the gate) and the lifetime attributes, on Entra federation metadata; with
// a pinned metadata signer, the signature check too.
func BenchmarkRemoteCheck(b *testing.B) {
	data := recorded.Read(b, "022-wire-server-2025-federationmetadata.xml")
	for _, pinned := range []bool{false, true} {
		name := map[bool]string{false: "unsigned", true: "pinned signer"}[pinned]
		b.Run(name, func(b *testing.B) {
			r := &Remote{}
			if pinned {
				r.cfg.SigningCertificates = append(r.cfg.SigningCertificates, recordedCert(b, "021-wire-server-2025.cert.pem"))
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.check(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFetchRevalidate is one scheduled refresh of an unchanged document: a
// conditional GET over a kept-alive loopback TLS connection answered 304.
func BenchmarkFetchRevalidate(b *testing.B) {
	ts := &testServer{}
	ts.Server = newTLS(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"1"`)
		w.Write([]byte("<x/>"))
	})
	defer ts.Close()
	f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
	u := ts.url("idp.example.com", "/md")
	b.ReportAllocs()
	for b.Loop() {
		got, err := f.Fetch(context.Background(), u, Validators{ETag: `"1"`})
		if err != nil || !got.NotModified {
			b.Fatal(got, err)
		}
	}
}
