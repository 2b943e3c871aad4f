package metadata

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"

	"github.com/ssokit/saml/internal/loopbackfetch"
)

// The demo's switch (internal/loopbackfetch): only code inside this module can reach it.
func init() { loopbackfetch.Register(allowLoopbackForDemo) }

func allowLoopbackForDemo(v any, roots *x509.CertPool) error {
	f, ok := v.(*Fetcher)
	switch {
	case !ok || f == nil:
		return fmt.Errorf("metadata: loopback fetching is for a *metadata.Fetcher, not %T", v)
	case roots == nil:
		return errors.New("metadata: loopback fetching needs the demo server's own certificate authority")
	case f.client != nil:
		return errors.New("metadata: loopback fetching must be set before the Fetcher's first fetch")
	}
	f.permit = loopbackOnly
	f.roots = roots
	return nil
}

// loopbackOnly is the demo's address rule: loopback and nothing else, so a demo fetcher
// still cannot reach the private network, the cloud metadata service or the internet.
func loopbackOnly(a netip.Addr) error {
	if a.Unmap().IsLoopback() {
		return nil
	}
	if err := publicAddress(a); err != nil {
		return fmt.Errorf("%v (this demo fetcher takes loopback addresses only)", err)
	}
	return errors.New("a public address (this demo fetcher takes loopback addresses only)")
}
