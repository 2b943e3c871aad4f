package demoidp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/ssokit/saml/internal/loopbackfetch"
	"github.com/ssokit/saml/metadata"
)

// MetadataServer serves the IdP's federation metadata over https on a loopback address,
// with a certificate from a certificate authority made for it alone. It exists because
// the library's metadata.Fetcher takes only https URLs on public addresses, while the demo
// runs on 127.0.0.1: see UnsafeDemoOnlyFetcher.
type MetadataServer struct {
	d    *IdP
	srv  *http.Server
	base string // https://127.0.0.1:<port>
	pool *x509.CertPool
}

// StartMetadataTLS serves the federation metadata URLs (nothing else) over https at addr,
// which must be a loopback address such as 127.0.0.1:0. Close stops it.
func (d *IdP) StartMetadataTLS(addr string) (*MetadataServer, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("demoidp: the metadata TLS address %q must be a loopback IP address and port, such as 127.0.0.1:0", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ip := ln.Addr().(*net.TCPAddr).IP
	// TLS clients check certificate dates against the real clock, not the demo's Now
	// (tests fix it in the past): a fixed clock would make the server expire a year on.
	cert, pool, err := loopbackCertificate(ip, time.Now())
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &MetadataServer{d: d, base: "https://" + ln.Addr().String(), pool: pool}
	metaPath := "/" + d.tenant + "/federationmetadata/2007-06/federationmetadata.xml"
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != metaPath {
				http.NotFound(w, r)
				return
			}
			d.serveFederationMetadata(w, r)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // a browser refusing the demo CA is not news
	}
	go func() { _ = s.srv.ServeTLS(ln, "", "") }()
	d.metaTLS.Store(s)
	return s, nil
}

// MetadataServer is the server StartMetadataTLS started, nil when none runs.
func (d *IdP) MetadataServer() *MetadataServer { return d.metaTLS.Load() }

// Close stops the server. A nil server has nothing to stop.
func (s *MetadataServer) Close() error {
	if s == nil {
		return nil
	}
	s.d.metaTLS.CompareAndSwap(s, nil)
	return s.srv.Close()
}

// URL is the server's base URL, https://127.0.0.1:<port>.
func (s *MetadataServer) URL() string { return s.base }

// MetadataURL is the tenant's federation metadata URL on this server.
func (s *MetadataServer) MetadataURL() string {
	return s.base + "/" + s.d.tenant + "/federationmetadata/2007-06/federationmetadata.xml"
}

// AppFederationMetadataURL is the application's "App Federation Metadata Url" on this
// server: https://127.0.0.1:<port>/<tenant-id>/federationmetadata/2007-06/federationmetadata.xml?appid=<app-id>.
func (s *MetadataServer) AppFederationMetadataURL(spEntityID string) string {
	return s.MetadataURL() + "?appid=" + AppID(spEntityID)
}

// CertPool holds the server's own certificate authority, and nothing else.
func (s *MetadataServer) CertPool() *x509.CertPool { return s.pool }

// UnsafeDemoOnlyFetcher is a metadata.Fetcher for this server: https, loopback addresses
// only, trusting only this server's certificate authority (so it reaches nothing else,
// neither the internet nor the private network). A default metadata.Fetcher refuses
// this server, as it must. Only the demo may use it: it is reachable only from inside
// this module (internal/loopbackfetch).
func (s *MetadataServer) UnsafeDemoOnlyFetcher() (*metadata.Fetcher, error) {
	f := &metadata.Fetcher{Timeout: 5 * time.Second}
	if err := loopbackfetch.UnsafeAllowLoopbackForDemo(f, s.pool); err != nil {
		return nil, err
	}
	return f, nil
}

// loopbackCertificate makes a CA and a server certificate for ip, valid for a year.
func loopbackCertificate(ip net.IP, now time.Time) (tls.Certificate, *x509.CertPool, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
		return n
	}
	ca := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "demoidp metadata CA (demo only)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: ip.String()},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{ip},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}, pool, nil
}
