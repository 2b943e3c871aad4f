package interop

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// rig is what every subtest of one peer shares: the booted peer and our SP's view of it.
type rig struct {
	spec peerSpec
	boot *boot
	// idp is read with metadata.ParseIdP from the metadata the peer published, the way an
	// admin would configure the SP.
	idp *metadata.IdP
}

func newRig(t *testing.T, name string) *rig {
	t.Helper()
	b := bootPeer(t, name)
	idp, err := metadata.ParseIdP(b.first.Metadata)
	if err != nil {
		t.Fatalf("metadata.ParseIdP(%s idp-metadata.xml): %v", name, err)
	}
	fromPEM, err := certs.Parse(b.first.CertPEM)
	if err != nil {
		t.Fatalf("certs.Parse(%s idp-cert.pem): %v", name, err)
	}
	if !slices.ContainsFunc(idp.Certificates, fromPEM[0].Equal) {
		t.Fatalf("%s metadata: the signing certificate in idp-cert.pem is not among the %d parsed from idp-metadata.xml",
			name, len(idp.Certificates))
	}
	if idp.SSOURL == "" || idp.EntityID == "" {
		t.Fatalf("%s metadata parsed without EntityID or SSO URL: %+v", name, idp)
	}
	return &rig{spec: specs[name], boot: b, idp: idp}
}

// parallel lets the one-shot script peers run side by side; SimpleSAMLphp's one server
// takes one login at a time, so its cases stay in order.
func (g *rig) parallel(t *testing.T) {
	if g.spec.name != NameSimpleSAMLphp {
		t.Parallel()
	}
}

// issued is one response from a peer and the SP it was issued for.
type issued struct {
	sp         *sp.SP
	now        time.Time // captured just before the peer ran; the SP clock is a second later
	key        *certs.KeyPair
	flow       string
	requestIDs []string
	request    string // our AuthnRequest as handed to the peer
	res        *Result
}

// issue makes our SP, for SP-initiated login builds the AuthnRequest with our own request
// code (signed when the peer checks signatures), and has the peer answer it.
func (g *rig) issue(t *testing.T, flow string, opts Options) *issued {
	t.Helper()
	now := time.Now()
	r := &issued{now: now, flow: flow}
	if opts.NameID == "" {
		opts.NameID = nameID
	}
	if opts.Attributes == nil {
		opts.Attributes = released
	}
	// Later flags win in argparse: the case's own Extra goes after the peer's.
	opts.Extra = append(g.spec.extra(g.idp, opts.SigAlg), opts.Extra...)
	if flow != idpInitiated {
		if g.spec.verifiesRequests {
			r.key = keys(t).sp
			opts.SPCertPEM = r.key.CertificatePEM()
		}
		r.sp = newSPAt(t, g.idp, now, r.key, false, nil)
		req, id := authnRequest(t, r.sp, flow, "relay-"+g.spec.name)
		r.request, r.requestIDs = req, []string{id}
		opts.AuthnRequest = req
	} else {
		r.sp = newSPAt(t, g.idp, now, nil, true, nil)
		if opts.SPEntityID == "" {
			opts.SPEntityID = spEntityID
		}
		if opts.ACSURL == "" {
			opts.ACSURL = acsURL
		}
	}
	res, err := g.boot.peer.Issue(context.Background(), opts, t.TempDir())
	if err != nil {
		if r.request != "" {
			t.Logf("our AuthnRequest: %s", r.request)
		}
		t.Fatalf("%s did not issue a response: %v", g.spec.name, err)
	}
	r.res = res
	if flow != idpInitiated && !strings.Contains(string(res.XML), `InResponseTo="`+r.requestIDs[0]+`"`) {
		t.Errorf("%s's response does not answer our request ID %s", g.spec.name, r.requestIDs[0])
	}
	return r
}

// authnRequest builds our AuthnRequest for flow with s: the redirect URL for the
// HTTP-Redirect binding, the SAMLRequest form value for HTTP-POST.
func authnRequest(t *testing.T, s *sp.SP, flow, relayState string) (req, id string) {
	t.Helper()
	if flow == spInitiatedPOST {
		form, id, err := s.AuthnRequestForm(relayState)
		if err != nil {
			t.Fatalf("AuthnRequestForm: %v", err)
		}
		return form.SAMLRequest, id
	}
	u, id, err := s.AuthnRequestURL(relayState)
	if err != nil {
		t.Fatalf("AuthnRequestURL: %v", err)
	}
	return u, id
}

// validate runs ValidateResponse on r's response with r's SP and request IDs.
func (r *issued) validate() error {
	_, err := r.sp.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...)
	return err
}

// newSP is another SP like r's (same clock, flow and key) with a fresh replay cache.
func (r *issued) newSP(t *testing.T, idp *metadata.IdP, mod func(*sp.Config)) *sp.SP {
	return newSPAt(t, idp, r.now, r.key, r.flow == idpInitiated, mod)
}

// newSPAt is our SP as an application would configure it, its clock fixed a second after
// now. IdP-initiated responses are allowed only where the flow is IdP-initiated.
func newSPAt(t *testing.T, idp *metadata.IdP, now time.Time, key *certs.KeyPair, idpInit bool, mod func(*sp.Config)) *sp.SP {
	t.Helper()
	clock := now.Add(time.Second)
	cfg := sp.Config{
		EntityID:          spEntityID,
		ACSURL:            acsURL,
		IdP:               idp,
		AllowIdPInitiated: idpInit,
		Now:               func() time.Time { return clock },
		Key:               key,
		SignAuthnRequests: key != nil,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := sp.New(cfg)
	if err != nil {
		t.Fatalf("sp.New: %v", err)
	}
	return s
}

// save keeps a wrongly judged response for the report: /tmp/ssokit-interop-failures/<test>/.
func (r *issued) save(t *testing.T) {
	dir := filepath.Join(os.TempDir(), "ssokit-interop-failures", strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Log(err)
		return
	}
	for name, data := range map[string][]byte{
		"response.xml":      r.res.XML,
		"response.b64":      []byte(r.res.Response + "\n"),
		"idp-cert.pem":      r.res.CertPEM,
		"idp-metadata.xml":  r.res.Metadata,
		"authn-request.txt": []byte(r.request + "\n"),
		"clock.txt":         []byte(r.now.Add(time.Second).UTC().Format(time.RFC3339Nano) + "\n"),
	} {
		_ = os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	t.Logf("failing input saved in %s", dir)
}

// testKeys are made once per package: RSA key generation is slow under the race detector.
type testKeys struct {
	sp       *certs.KeyPair // our SP's: signs AuthnRequests, its certificate goes to the peer
	stranger *certs.KeyPair // trusted by nobody: a wrong IdP certificate, an impostor SP
}

var makeKeys = sync.OnceValues(func() (testKeys, error) {
	var k testKeys
	var err error
	if k.sp, err = certs.GenerateKeyPair("sp.example.test", time.Now(), 24*time.Hour); err != nil {
		return k, err
	}
	k.stranger, err = certs.GenerateKeyPair("stranger.example.test", time.Now(), 24*time.Hour)
	return k, err
})

func keys(t *testing.T) testKeys {
	t.Helper()
	k, err := makeKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
