package metadata

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/loopbackfetch"
)

// The demo's loopback switch reaches loopback TLS servers signed by the CA it is given,
// and nothing else; a Fetcher without it still refuses the same server.
func TestLoopbackFetchForDemo(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<EntityDescriptor/>")) })
	ctx := context.Background()
	u := ts.url("127.0.0.1", "/metadata.xml")
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())

	// The default Fetcher refuses loopback at dial time, whatever CA it would trust.
	_, err := (&Fetcher{}).Fetch(ctx, u, Validators{})
	wantKind(t, err, ErrUnsafeURL, "127.0.0.1", "loopback")
	withRoots := &Fetcher{roots: pool}
	_, err = withRoots.Fetch(ctx, u, Validators{})
	wantKind(t, err, ErrUnsafeURL, "loopback")
	if ts.hits.Load() != 0 {
		t.Fatalf("the default Fetcher reached the loopback server %d times", ts.hits.Load())
	}

	f := &Fetcher{}
	if err := loopbackfetch.UnsafeAllowLoopbackForDemo(f, pool); err != nil {
		t.Fatal(err)
	}
	got, err := f.Fetch(ctx, u, Validators{})
	if err != nil || string(got.Body) != "<EntityDescriptor/>" {
		t.Fatalf("demo fetcher: %v %+v", err, got)
	}
	// Still https only.
	_, err = f.Fetch(ctx, "http://127.0.0.1:"+ts.port()+"/metadata.xml", Validators{})
	wantKind(t, err, ErrUnsafeURL, "https")

	// Another loopback server, with a certificate not from the demo's CA: refused in TLS.
	// (httptest's servers all share one certificate: this one gets its own.)
	other := &testServer{}
	other.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.hits.Add(1) }))
	other.Config.ErrorLog = log.New(io.Discard, "", 0)
	other.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	other.StartTLS()
	t.Cleanup(other.Close)
	_, err = f.Fetch(ctx, other.url("127.0.0.1", "/"), Validators{})
	wantKind(t, err, ErrFetch)
	if other.hits.Load() != 0 {
		t.Fatal("the demo fetcher trusted a certificate outside its CA")
	}
	// Once used, a Fetcher cannot be switched.
	if err := loopbackfetch.UnsafeAllowLoopbackForDemo(f, pool); err == nil || !strings.Contains(err.Error(), "first fetch") {
		t.Fatalf("switching a used Fetcher: %v", err)
	}
	if err := loopbackfetch.UnsafeAllowLoopbackForDemo(&Fetcher{}, nil); err == nil {
		t.Fatal("no CA accepted")
	}
	if err := loopbackfetch.UnsafeAllowLoopbackForDemo(http.DefaultClient, pool); err == nil {
		t.Fatal("a non-Fetcher accepted")
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// The demo rule admits loopback only: not the private network, the cloud metadata
// service, or the internet.
func TestLoopbackOnlyRule(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"} {
		if err := loopbackOnly(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
	for a, why := range map[string]string{
		"10.0.0.1": "private", "192.168.1.1": "private", "169.254.169.254": "instance metadata",
		"100.64.0.1": "carrier-grade", "0.0.0.0": "unspecified", "fe80::1": "link-local",
		"8.8.8.8": "public", "2606:4700::1111": "public",
	} {
		err := loopbackOnly(netip.MustParseAddr(a))
		if err == nil || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "loopback addresses only") {
			t.Errorf("%s: %v, want a refusal naming %q", a, err, why)
		}
	}
}
