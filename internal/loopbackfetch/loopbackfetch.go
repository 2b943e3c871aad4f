// Package loopbackfetch turns a metadata.Fetcher into one that fetches from a loopback
// TLS server with its own certificate authority, for this module's demos and tests only.
//
// A metadata.Fetcher refuses loopback addresses and trusts only the system's certificate
// authorities, and nothing in package metadata's API changes that: an application cannot
// switch the rules off, even by mistake. The embedded demo IdP (internal/demoidp) runs on
// 127.0.0.1, though, and examples/orgsso must fetch its App Federation Metadata Url. This
// package is internal, so only code inside this module can import it; package metadata
// registers the switch when it is initialised.
package loopbackfetch

import (
	"crypto/x509"
	"errors"
	"sync"
)

var (
	mu    sync.Mutex
	allow func(fetcher any, roots *x509.CertPool) error
)

// Register is called once, by package metadata's init.
func Register(f func(fetcher any, roots *x509.CertPool) error) {
	mu.Lock()
	defer mu.Unlock()
	if allow != nil {
		panic("loopbackfetch: registered twice")
	}
	allow = f
}

// UnsafeAllowLoopbackForDemo makes fetcher, a new *metadata.Fetcher not used yet, fetch
// only from loopback addresses (127.0.0.0/8, ::1) and trust only the certificate
// authorities in roots. Every other rule stays: https only, redirects checked, timeouts,
// size cap, no cookies, no proxy; private, link-local and public addresses are refused.
// Never call it in anything but a demo or a test.
func UnsafeAllowLoopbackForDemo(fetcher any, roots *x509.CertPool) error {
	mu.Lock()
	f := allow
	mu.Unlock()
	if f == nil {
		return errors.New("loopbackfetch: package metadata is not linked in")
	}
	return f(fetcher, roots)
}
