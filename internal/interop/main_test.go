package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/testenv"
)

// The package shares one scratch directory, one SimpleSAMLphp server and one IdP key pair
// per peer, so that CI pays for a PHP server start and a key generation once.
var (
	scratch string

	sspOnce sync.Once
	sspSrv  *SimpleSAMLphp
	sspErr  error

	bootMu sync.Mutex
	boots  = map[string]*boot{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ssokit-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := testenv.Main(m) // m.Run, then one line counting the skips
	if err := sspSrv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.RemoveAll(scratch)
	os.Exit(code)
}

// simpleSAMLphp returns the package's SimpleSAMLphp server, starting it on first use.
func simpleSAMLphp(t *testing.T) *SimpleSAMLphp {
	t.Helper()
	Require(t, NameSimpleSAMLphp)
	dir := Dir(t)
	sspOnce.Do(func() {
		sspSrv, sspErr = StartSimpleSAMLphp(context.Background(), dir, filepath.Join(scratch, "ssp-state"))
		// When go test's timeout fires, the binary panics and TestMain never reaches Stop;
		// the PHP server, started in its own session, would outlive us. Stop it just before.
		if dl, ok := t.Deadline(); ok && sspErr == nil {
			srv := sspSrv
			time.AfterFunc(time.Until(dl)-10*time.Second, func() { _ = srv.Stop() })
		}
	})
	if sspErr != nil {
		t.Fatal(sspErr)
	}
	return sspSrv
}

// boot is a peer ready for the tests: its first, IdP-initiated response (which also made
// the IdP's key pair and metadata) and the Peer that signs every later run with that key.
type boot struct {
	peer  Peer
	first *Result
	err   error
}

// bootPeer returns the peer named name, running it once on first use. The first run's
// metadata is what our SP is configured from, so SP-initiated requests can be addressed
// to the IdP before it has answered anything else.
func bootPeer(t *testing.T, name string) *boot {
	t.Helper()
	Require(t, name)
	dir := Dir(t)
	bootMu.Lock()
	defer bootMu.Unlock()
	if b, ok := boots[name]; ok {
		if b.err != nil {
			t.Fatal(b.err)
		}
		return b
	}
	b := &boot{}
	boots[name] = b
	out := filepath.Join(scratch, name+"-boot")
	opts := Options{SPEntityID: spEntityID, ACSURL: acsURL, NameID: nameID, Attributes: releasedAttributes}
	switch name {
	case NamePySAML2:
		b.first, b.err = NewPySAML2(dir, "", "").Issue(context.Background(), opts, out)
		b.peer = NewPySAML2(dir, filepath.Join(out, "idp-cert.pem"), filepath.Join(out, "idp-key.pem"))
	case NameLasso:
		b.first, b.err = NewLasso(dir, "", "").Issue(context.Background(), opts, out)
		b.peer = NewLasso(dir, filepath.Join(out, "idp-cert.pem"), filepath.Join(out, "idp-key.pem"))
	case NameSimpleSAMLphp:
		b.peer = simpleSAMLphp(t)
		b.first, b.err = b.peer.Issue(context.Background(), opts, out)
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b
}
