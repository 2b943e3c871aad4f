package sp

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
)

// memoryIdP serves IdP metadata from memory in place of the network (metadata's own
// tests drive the real Fetcher over loopback TLS) and counts the fetches.
type memoryIdP struct {
	mu      sync.Mutex
	doc     string
	down    bool
	fetches int
}

func (m *memoryIdP) Fetch(_ context.Context, url string, v metadata.Validators) (*metadata.Fetched, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fetches++
	if m.down {
		return nil, &metadata.Error{Kind: metadata.ErrFetch, Field: "metadata URL", Found: "connection refused"}
	}
	etag := fmt.Sprintf(`"%d"`, len(m.doc)+strings.Count(m.doc, "X509Certificate"))
	if v.ETag == etag {
		return &metadata.Fetched{NotModified: true, Validators: v, URL: url}, nil
	}
	return &metadata.Fetched{Body: []byte(m.doc), Validators: metadata.Validators{ETag: etag}, URL: url}, nil
}

func (m *memoryIdP) publish(idps ...*samltest.IdP) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.doc = metadataFor(idps...)
}

func (m *memoryIdP) count() int { m.mu.Lock(); defer m.mu.Unlock(); return m.fetches }

// metadataFor is Entra-shaped IdP metadata listing every signer's certificate.
func metadataFor(idps ...*samltest.IdP) string {
	var kds string
	for _, idp := range idps {
		kds += `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` +
			base64.StdEncoding.EncodeToString(idp.Cert.Raw) + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`
	}
	return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + idps[0].EntityID + `">` +
		`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kds +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/` + samltest.TenantID + `/saml2"/>` +
		`</IDPSSODescriptor></EntityDescriptor>`
}

const testMetadataURL = "https://login.microsoftonline.com/" + samltest.TenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=00000000-0000-0000-0000-000000000001"

type sourceRig struct {
	server *memoryIdP
	remote *metadata.Remote
	sp     *Refreshing
	clock  *time.Time
}

func newSourceRig(t *testing.T, server *memoryIdP, cache metadata.Cache, now *time.Time) *sourceRig {
	t.Helper()
	clock := func() time.Time { return *now }
	remote, err := metadata.NewRemote(metadata.RemoteConfig{URL: testMetadataURL, Fetcher: server, Cache: cache, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	cfg := genConfig(samltest.DefaultIdP())
	cfg.IdP = nil
	cfg.Now = clock
	r, err := NewRefreshing(cfg, remote)
	if err != nil {
		t.Fatal(err)
	}
	return &sourceRig{server: server, remote: remote, sp: r, clock: now}
}

// newSigner is another key pair of the same Entra tenant: what "New Certificate" in
// SAML Certificates creates.
func newSigner(t *testing.T, name string, serial int64) *samltest.IdP {
	t.Helper()
	p, err := samltest.NewPair(name, serial)
	if err != nil {
		t.Fatal(err)
	}
	return samltest.NewIdP(samltest.TenantID, p)
}

// responseFrom is a response signed by idp answering the request requestFor(label).
func responseFrom(t *testing.T, idp *samltest.IdP, label string) string {
	t.Helper()
	return genResponse(t, idp, samltest.Options{Sign: samltest.SignAssertion, AssertionID: samltest.ID(label), InResponseTo: requestFor(label)})
}

func requestFor(label string) string { return samltest.ID("request " + label) }

// The Entra rollover: the admin adds a certificate and clicks "Make certificate active";
// the next login is signed with it. It is accepted after exactly one more fetch. A second
// unknown signer within the rate window is refused without any fetch.
func TestRefreshingAcceptsNewlyPublishedSignerAfterOneFetch(t *testing.T) {
	now := samltest.Now.Add(2 * time.Second)
	server := &memoryIdP{}
	current, next := samltest.DefaultIdP(), samltest.NextIdP()
	server.publish(current)
	rig := newSourceRig(t, server, nil, &now)
	ctx := context.Background()

	if _, err := rig.sp.ValidateResponse(ctx, responseFrom(t, current, "a"), requestFor("a")); err != nil {
		t.Fatalf("current signer: %v", err)
	}
	if server.count() != 1 {
		t.Fatalf("%d fetches for the first login, want 1", server.count())
	}

	server.publish(current, next)
	a, err := rig.sp.ValidateResponse(ctx, responseFrom(t, next, "b"), requestFor("b"))
	if err != nil {
		t.Fatalf("newly published signer: %v", err)
	}
	if a.NameID.Value != samltest.UserEmail || server.count() != 2 {
		t.Fatalf("accepted %q after %d fetches, want exactly one more", a.NameID, server.count()-1)
	}
	// Logins signed by it now need no fetch.
	if _, err := rig.sp.ValidateResponse(ctx, responseFrom(t, next, "c"), requestFor("c")); err != nil || server.count() != 2 {
		t.Fatalf("known signer: %v, %d fetches", err, server.count())
	}

	// A second unknown signer, a minute later: refused, nothing fetched, even though the
	// server now publishes it (it is picked up at the next refresh).
	third := newSigner(t, "third signer", 77)
	server.publish(current, next, third)
	now = now.Add(time.Minute)
	_, err = rig.sp.ValidateResponse(ctx, responseFrom(t, third, "d"), requestFor("d"))
	if !errors.Is(err, ErrSignature) || server.count() != 2 {
		t.Fatalf("second unknown signer in the window: %v after %d fetches; want ErrSignature and no fetch", err, server.count())
	}
}

// A response signed by a certificate nobody published is refused after the refresh,
// and a response the current certificates reject for another reason (tampering) does
// not cause a fetch at all.
func TestRefreshingNeverTrustsTheResponse(t *testing.T) {
	now := samltest.Now.Add(2 * time.Second)
	server := &memoryIdP{}
	server.publish(samltest.DefaultIdP())
	rig := newSourceRig(t, server, nil, &now)
	ctx := context.Background()
	if _, err := rig.sp.SP(ctx); err != nil {
		t.Fatal(err)
	}
	// The attacker's certificate is a clone of the real one's names with another key.
	_, err := rig.sp.ValidateResponse(ctx, responseFrom(t, samltest.AttackerIdP(), "x"), requestFor("x"))
	if !errors.Is(err, ErrSignature) || server.count() != 2 {
		t.Fatalf("attacker: %v after %d fetches; want ErrSignature after one refresh", err, server.count())
	}
	// Tampered after signing by the trusted key: a digest failure, not an unknown signer.
	now = now.Add(10 * time.Minute)
	doc := samltest.DefaultIdP().MustResponse(t, samltest.Options{Sign: samltest.SignAssertion, AssertionID: samltest.ID("y"), InResponseTo: requestFor("y")})
	tampered := strings.Replace(string(doc), samltest.UserEmail, "ceo@contoso.example", 1)
	_, err = rig.sp.ValidateResponse(ctx, samltest.Encode([]byte(tampered)), requestFor("y"))
	if !errors.Is(err, ErrSignature) || server.count() != 2 {
		t.Fatalf("tampered: %v after %d fetches; want ErrSignature and no fetch", err, server.count())
	}
}

// A restart while the metadata server is down serves logins from the persisted copy.
func TestRefreshingRestartWithMetadataServerDown(t *testing.T) {
	now := samltest.Now.Add(2 * time.Second)
	cache := metadata.FileCache{Dir: t.TempDir()}
	server := &memoryIdP{}
	server.publish(samltest.DefaultIdP(), samltest.NextIdP())
	first := newSourceRig(t, server, cache, &now)
	if _, err := first.sp.ValidateResponse(context.Background(), responseFrom(t, samltest.DefaultIdP(), "r1"), requestFor("r1")); err != nil {
		t.Fatal(err)
	}

	down := &memoryIdP{down: true}
	restarted := newSourceRig(t, down, cache, &now)
	if _, err := restarted.sp.ValidateResponse(context.Background(), responseFrom(t, samltest.NextIdP(), "r2"), requestFor("r2")); err != nil {
		t.Fatalf("after restart with the IdP down: %v", err)
	}
	if down.count() != 0 {
		t.Fatalf("%d fetches; the persisted copy should serve without one", down.count())
	}
	// Without a persisted copy the same restart cannot serve.
	bare := newSourceRig(t, &memoryIdP{down: true}, nil, &now)
	if _, err := bare.sp.ValidateResponse(context.Background(), responseFrom(t, samltest.NextIdP(), "r3"), requestFor("r3")); !errors.Is(err, metadata.ErrFetch) {
		t.Fatalf("no persisted copy: %v, want metadata.ErrFetch", err)
	}
}

// An SP rebuilt after a refresh shares the replay cache of the one before it.
func TestRefreshingKeepsReplayProtectionAcrossRefreshes(t *testing.T) {
	now := samltest.Now.Add(2 * time.Second)
	server := &memoryIdP{}
	server.publish(samltest.DefaultIdP())
	rig := newSourceRig(t, server, nil, &now)
	ctx := context.Background()
	resp := responseFrom(t, samltest.DefaultIdP(), "once")
	if _, err := rig.sp.ValidateResponse(ctx, resp, requestFor("once")); err != nil {
		t.Fatal(err)
	}
	before, _ := rig.sp.SP(ctx)
	server.publish(samltest.DefaultIdP(), samltest.NextIdP())
	if _, err := rig.sp.ValidateResponse(ctx, responseFrom(t, samltest.NextIdP(), "other"), requestFor("other")); err != nil {
		t.Fatal(err)
	}
	if after, _ := rig.sp.SP(ctx); after == before {
		t.Fatal("the SP was not rebuilt for the new IdP")
	}
	if _, err := rig.sp.ValidateResponse(ctx, resp, requestFor("once")); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay after refresh: %v, want ErrReplay", err)
	}
}

// Diagnose retries the same way, so "Test SAML configuration" right after "Make
// certificate active" passes.
func TestRefreshingDiagnose(t *testing.T) {
	now := samltest.Now.Add(2 * time.Second)
	server := &memoryIdP{}
	server.publish(samltest.DefaultIdP())
	rig := newSourceRig(t, server, nil, &now)
	if _, err := rig.sp.SP(context.Background()); err != nil {
		t.Fatal(err)
	}
	server.publish(samltest.DefaultIdP(), samltest.NextIdP())
	d, err := rig.sp.Diagnose(context.Background(), responseFrom(t, samltest.NextIdP(), "diag"), requestFor("diag"))
	if err != nil || !d.OK || server.count() != 2 {
		t.Fatalf("diagnose: %v, %+v, %d fetches", err, d.Failed(), server.count())
	}
}

func TestNewRefreshingChecksConfig(t *testing.T) {
	server := &memoryIdP{}
	server.publish(samltest.DefaultIdP())
	remote, err := metadata.NewRemote(metadata.RemoteConfig{URL: testMetadataURL, Fetcher: server})
	if err != nil {
		t.Fatal(err)
	}
	cfg := genConfig(samltest.DefaultIdP())
	if _, err := NewRefreshing(cfg, remote); err == nil {
		t.Error("Config.IdP set beside a source: accepted")
	}
	cfg.IdP = nil
	if _, err := NewRefreshing(cfg, nil); err == nil {
		t.Error("nil source accepted")
	}
	cfg.ACSURL = ""
	if _, err := NewRefreshing(cfg, remote); err == nil || !strings.Contains(err.Error(), "ACSURL") {
		t.Errorf("missing ACSURL: %v", err)
	}
	var _ IdPSource = remote
	_ = x509.Certificate{}
}

// An SP taken from a Refreshing once (as web.New takes it at startup) validates against
// the source's current trust: a newly published signer is accepted after one refetch,
// and a certificate the metadata stopped listing no longer verifies.
func TestRefreshingHeldSPFollowsTrust(t *testing.T) {
	now := samltest.Now.Add(2 * time.Second)
	server := &memoryIdP{}
	current, next := samltest.DefaultIdP(), samltest.NextIdP()
	server.publish(current)
	rig := newSourceRig(t, server, nil, &now)
	ctx := context.Background()
	held, err := rig.sp.SP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	server.publish(current, next)
	if _, err := held.ValidateResponse(ctx, responseFrom(t, next, "h1"), requestFor("h1")); err != nil || server.count() != 2 {
		t.Fatalf("new signer through the held SP: %v, %d fetches", err, server.count())
	}
	if d := held.Diagnose(ctx, responseFrom(t, next, "h2"), requestFor("h2")); !d.OK {
		t.Fatalf("Diagnose through the held SP: %+v", d.Failed())
	}
	// The old certificate is withdrawn (compromised, or the rollover is over).
	server.publish(next)
	if err := rig.remote.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := held.ValidateResponse(ctx, responseFrom(t, current, "h3"), requestFor("h3")); !errors.Is(err, ErrSignature) {
		t.Fatalf("withdrawn certificate through the held SP: %v, want ErrSignature", err)
	}
}
