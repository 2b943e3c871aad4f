package interop

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

const emailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

// peerSpec is what one peer offers and how it writes what it was told to release.
type peerSpec struct {
	name string
	// algs are the signature algorithms tried for every placement and flow.
	algs []string
	// verifiesRequests: the peer checks our AuthnRequest's redirect signature when given
	// our certificate (SimpleSAMLphp and Lasso; pysaml2's script cannot).
	verifiesRequests bool
	// refusal is what the peer says, per request binding, when our request's signature
	// does not verify.
	refusal map[string]string
	// extra returns script options for one run: pysaml2 chooses its digest separately
	// (library default SHA-1), so it is matched to the signature algorithm; pysaml2 and
	// Lasso get our SSO URL so the request's Destination is checked against it.
	extra func(idp *metadata.IdP, alg string) []string
	// wireName is the Attribute Name the peer sends for a released attribute, and
	// friendly its FriendlyName ("" when none).
	wireName func(released string) (name, friendly string)
}

// pysaml2's default attribute map turns well-known names into urn:oid names.
var pysaml2OIDs = map[string]string{
	"mail":                 "urn:oid:0.9.2342.19200300.100.1.3",
	"givenName":            "urn:oid:2.5.4.42",
	"sn":                   "urn:oid:2.5.4.4",
	"eduPersonAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
}

func asGiven(n string) (string, string) { return n, "" }

var specs = map[string]peerSpec{
	NamePySAML2: {
		name: NamePySAML2,
		algs: []string{RSASHA256, RSASHA512},
		extra: func(idp *metadata.IdP, alg string) []string {
			digest := map[string]string{RSASHA256: "sha256", RSASHA512: "sha512", "rsa-sha1": "sha1"}[alg]
			return []string{"--digest-alg", digest, "--sso-url", idp.SSOURL}
		},
		wireName: func(n string) (string, string) {
			if oid, ok := pysaml2OIDs[n]; ok {
				return oid, n
			}
			return n, ""
		},
	},
	NameLasso: {
		name:             NameLasso,
		algs:             []string{RSASHA256, RSASHA512}, // Lasso pairs rsa-sha512 with a SHA-384 digest
		verifiesRequests: true,
		refusal: map[string]string{
			spInitiated:     "DsInvalidSignatureError",            // query-string signature
			spInitiatedPOST: "DsSignatureVerificationFailedError", // enveloped XML signature
		},
		extra: func(idp *metadata.IdP, _ string) []string {
			return []string{"--sso-url", idp.SSOURL}
		},
		wireName: asGiven,
	},
	NameSimpleSAMLphp: {
		name:             NameSimpleSAMLphp,
		algs:             []string{RSASHA256, RSASHA512},
		verifiesRequests: true,
		refusal: map[string]string{
			spInitiated:     "Unable to validate signature on query string",
			spInitiatedPOST: "Unable to validate Signature",
		},
		extra:    func(*metadata.IdP, string) []string { return nil },
		wireName: asGiven,
	},
}

// released adds, to the attributes every peer releases, a claim named the way Entra names
// its claims (a URL), with two values.
var released = append(slices.Clone(releasedAttributes), Attribute{
	Name:   "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
	Values: []string{"7d1b9e2a-0000-4000-8000-000000000001", "7d1b9e2a-0000-4000-8000-000000000002"},
})

// Flows. SP-initiated login sends our AuthnRequest with the HTTP-Redirect binding
// (AuthnRequestURL) or, as a further check of our request code, the HTTP-POST binding
// (AuthnRequestForm); either way the response comes back by HTTP-POST.
const (
	idpInitiated    = "idp-initiated"
	spInitiated     = "sp-initiated"
	spInitiatedPOST = "sp-initiated-post-request"
)

var placements = []Placement{SignAssertion, SignResponse, SignBoth}

// peerIdP is our SP's view of a booted peer, read from the metadata the peer published.
func peerIdP(t *testing.T, b *boot) *metadata.IdP {
	t.Helper()
	idp, err := metadata.ParseIdP(b.first.Metadata)
	if err != nil {
		t.Fatalf("metadata.ParseIdP(%s idp-metadata.xml): %v", b.peer.Name(), err)
	}
	fromPEM, err := certs.Parse(b.first.CertPEM)
	if err != nil {
		t.Fatalf("certs.Parse(%s idp-cert.pem): %v", b.peer.Name(), err)
	}
	if !slices.ContainsFunc(idp.Certificates, fromPEM[0].Equal) {
		t.Fatalf("%s metadata: the signing certificate in idp-cert.pem is not among the %d parsed from idp-metadata.xml",
			b.peer.Name(), len(idp.Certificates))
	}
	if idp.SSOURL == "" || idp.EntityID == "" {
		t.Fatalf("%s metadata parsed without EntityID or SSO URL: %+v", b.peer.Name(), idp)
	}
	return idp
}

// testPeer runs every placement × algorithm × flow the peer offers through
// ValidateResponse, and the peer's negative signals.
func testPeer(t *testing.T, name string) {
	spec := specs[name]
	b := bootPeer(t, name)
	idp := peerIdP(t, b)
	spKey := keys(t).sp

	type flowCase struct {
		flow      string
		placement Placement
		alg       string
	}
	var cases []flowCase
	for _, flow := range []string{idpInitiated, spInitiated} {
		for _, p := range placements {
			for _, alg := range spec.algs {
				cases = append(cases, flowCase{flow, p, alg})
			}
		}
	}
	cases = append(cases, flowCase{spInitiatedPOST, SignBoth, RSASHA256})
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", c.flow, c.placement, c.alg), func(t *testing.T) {
			parallelIfInProcess(t, name)
			r := issue(t, b, spec, idp, spKey, c.flow, Options{Sign: c.placement, SigAlg: c.alg})
			a, err := r.sp.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...)
			if err != nil {
				r.save(t)
				t.Fatalf("ValidateResponse rejected %s's response: %v", name, err)
			}
			checkAssertion(t, spec, idp, r, a)

			// The same response a second time is a replay.
			if _, err := r.sp.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...); !errors.Is(err, sp.ErrReplay) {
				t.Errorf("second ValidateResponse of the same response: %v, want ErrReplay", err)
			}
			// A policy demanding the signatures this placement has accepts it; one demanding
			// a signature it lacks rejects it.
			for _, pol := range policies {
				v := r.newSP(t, idp, pol.set)
				_, err := v.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...)
				if pol.satisfiedBy(c.placement) {
					if err != nil {
						r.save(t)
						t.Errorf("with %s: rejected: %v", pol.name, err)
					}
				} else if !errors.Is(err, sp.ErrSignature) {
					t.Errorf("with %s: %v, want ErrSignature (placement %s)", pol.name, err, c.placement)
				}
			}
			// Only the configured certificate may sign: the right response, the wrong cert.
			wrong := *idp
			wrong.Certificates = []*x509.Certificate{keys(t).stranger.Certificate}
			v := r.newSP(t, &wrong, nil)
			if _, err := v.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...); !errors.Is(err, sp.ErrSignature) {
				t.Errorf("validated against an untrusted certificate: %v, want ErrSignature", err)
			}
			// This peer's serialisation, changed after signing: another user.
			tampered := strings.ReplaceAll(string(r.res.XML), nameID, "mallory@example.com")
			v = r.newSP(t, idp, nil)
			if _, err := v.ValidateResponse(context.Background(), base64.StdEncoding.EncodeToString([]byte(tampered)), r.requestIDs...); !errors.Is(err, sp.ErrSignature) {
				t.Errorf("NameID changed after signing: %v, want ErrSignature", err)
			}
			// The peer's validity window, read from its timestamps, closes.
			late := newSPAt(t, idp, r.now.Add(time.Hour), r.key, r.flow == idpInitiated, nil)
			if _, err := late.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...); !errors.Is(err, sp.ErrExpired) {
				t.Errorf("an hour later: %v, want ErrExpired", err)
			}
			// The admin's "Test SAML configuration" report agrees.
			d := r.newSP(t, idp, nil).Diagnose(context.Background(), r.res.Response, r.requestIDs...)
			if !d.OK || len(d.Failed()) > 0 || d.Assertion == nil || d.Assertion.NameID.Value != nameID {
				t.Errorf("Diagnose: OK=%v failed=%+v", d.OK, d.Failed())
			}
			d = r.newSP(t, &wrong, nil).Diagnose(context.Background(), r.res.Response, r.requestIDs...)
			if f := d.Failed(); d.OK || len(f) == 0 || !errors.Is(f[0].Err, sp.ErrSignature) {
				t.Errorf("Diagnose with an untrusted certificate: OK=%v failed=%+v, want a signature failure first", d.OK, f)
			}
		})
	}

	// Markup characters and whitespace, escaped by each peer its own way, arrive as sent.
	t.Run("escaped-and-whitespace-values-survive", func(t *testing.T) {
		parallelIfInProcess(t, name)
		const odd = `o'brien&<x>"q"@example.com`
		attrs := []Attribute{
			{Name: "ws", Values: []string{"  padded  ", "line1\nline2", ""}},
			{Name: "amp&name", Values: []string{"a&b<c>"}},
		}
		r := issue(t, b, spec, idp, spKey, idpInitiated, Options{Sign: SignBoth, SigAlg: RSASHA256,
			NameIDFormat: "unspecified", NameID: odd, Attributes: attrs})
		a, err := r.sp.ValidateResponse(context.Background(), r.res.Response)
		if err != nil {
			r.save(t)
			t.Fatalf("ValidateResponse: %v", err)
		}
		if a.NameID.Value != odd {
			t.Errorf("NameID = %q, want %q", a.NameID.Value, odd)
		}
		for _, want := range attrs {
			if got := a.Attributes[want.Name].Values; !slices.Equal(got, want.Values) {
				t.Errorf("attribute %q = %q, want %q", want.Name, got, want.Values)
			}
		}
	})

	if name == NamePySAML2 {
		// pysaml2 chooses the digest apart from the signature method, and its library
		// default digest is SHA-1: an IdP set to RSA-SHA256 alone still digests with SHA-1.
		t.Run("sha1-digest-under-rsa-sha256-rejected-by-default", func(t *testing.T) {
			t.Parallel()
			r := issue(t, b, spec, idp, spKey, idpInitiated, Options{Sign: SignBoth, SigAlg: RSASHA256,
				Extra: []string{"--digest-alg", "sha1"}})
			if _, err := r.sp.ValidateResponse(context.Background(), r.res.Response); !errors.Is(err, sp.ErrSignature) {
				r.save(t)
				t.Errorf("SHA-1 digest without InsecureAllowSHA1: %v, want ErrSignature", err)
			}
			v := r.newSP(t, idp, func(c *sp.Config) { c.InsecureAllowSHA1 = true })
			if _, err := v.ValidateResponse(context.Background(), r.res.Response); err != nil {
				r.save(t)
				t.Errorf("SHA-1 digest with InsecureAllowSHA1: %v", err)
			}
		})
	}

	if name == NameSimpleSAMLphp {
		// SimpleSAMLphp answers a request for an ACS it does not know at its registered
		// default ACS, with only a log warning. Our SP must refuse that response.
		t.Run("answered-to-another-acs-rejected", func(t *testing.T) {
			const otherACS = "https://sp.example.test/saml/other-acs"
			r := issue(t, b, spec, idp, spKey, spInitiated, Options{Sign: SignBoth, SigAlg: RSASHA256, ACSURL: otherACS})
			if d := r.res.InfoString("destination"); d != otherACS {
				t.Fatalf("SimpleSAMLphp answered to %q, this check expects it at %q", d, otherACS)
			}
			if _, err := r.sp.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...); !errors.Is(err, sp.ErrDestination) {
				r.save(t)
				t.Errorf("response to another ACS: %v, want ErrDestination", err)
			}
		})
	}

	// Other NameID and attribute name formats the peer offers.
	t.Run("persistent-nameid-uri-attribute-names", func(t *testing.T) {
		parallelIfInProcess(t, name)
		const persistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
		opts := Options{Sign: SignBoth, SigAlg: RSASHA256, NameIDFormat: "persistent"}
		if name == NamePySAML2 {
			opts.Extra = []string{"--attr-map", "verbatim"} // names as given; NameFormat stays uri
		} else {
			opts.Extra = []string{"--attr-name-format", "uri"}
		}
		r := issue(t, b, spec, idp, spKey, idpInitiated, opts)
		a, err := r.sp.ValidateResponse(context.Background(), r.res.Response)
		if err != nil {
			r.save(t)
			t.Fatalf("ValidateResponse: %v", err)
		}
		if a.NameID.Value != nameID || a.NameID.Format != persistent {
			t.Errorf("NameID = %q (format %q), want %q (%s)", a.NameID.Value, a.NameID.Format, nameID, persistent)
		}
		for _, rel := range released {
			got, ok := a.Attributes[rel.Name]
			if !ok || !slices.Equal(got.Values, rel.Values) {
				t.Errorf("attribute %q = %+v, want values %q; names %q", rel.Name, got, rel.Values, a.AttributeNames)
				continue
			}
			if want := "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"; got.NameFormat != want && !(name == NamePySAML2 && got.NameFormat == "") {
				t.Errorf("attribute %q NameFormat = %q, want %q", rel.Name, got.NameFormat, want)
			}
		}
	})

	// The peer's own unsigned response must never be accepted, and neither may SHA-1
	// without the opt-in.
	for _, flow := range []string{idpInitiated, spInitiated} {
		t.Run("unsigned-rejected/"+flow, func(t *testing.T) {
			parallelIfInProcess(t, name)
			r := issue(t, b, spec, idp, spKey, flow, Options{Sign: SignNone, SigAlg: RSASHA256})
			if n, _ := r.res.Info["signature_count"].(float64); n != 0 {
				t.Fatalf("peer made %v signatures for --sign none", n)
			}
			_, err := r.sp.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...)
			if !errors.Is(err, sp.ErrSignature) {
				r.save(t)
				t.Errorf("unsigned response: %v, want ErrSignature", err)
			}
		})
	}
	t.Run("sha1-rejected-by-default", func(t *testing.T) {
		parallelIfInProcess(t, name)
		r := issue(t, b, spec, idp, spKey, idpInitiated, Options{Sign: SignBoth, SigAlg: "rsa-sha1"})
		if _, err := r.sp.ValidateResponse(context.Background(), r.res.Response); !errors.Is(err, sp.ErrSignature) {
			r.save(t)
			t.Errorf("RSA-SHA1 response without InsecureAllowSHA1: %v, want ErrSignature", err)
		}
		v := r.newSP(t, idp, func(c *sp.Config) { c.InsecureAllowSHA1 = true })
		if _, err := v.ValidateResponse(context.Background(), r.res.Response); err != nil {
			r.save(t)
			t.Errorf("RSA-SHA1 response with InsecureAllowSHA1: %v", err)
		}
	})

	if spec.verifiesRequests {
		// The positive SP-initiated cases above prove the peer accepts our signed requests;
		// this proves it actually checks them.
		for _, flow := range []string{spInitiated, spInitiatedPOST} {
			t.Run("request-signed-by-untrusted-key-refused-by-peer/"+flow, func(t *testing.T) {
				parallelIfInProcess(t, name)
				impostor := newSPAt(t, idp, time.Now(), keys(t).stranger, false, nil)
				req, _ := authnRequest(t, impostor, flow, "rs")
				opts := Options{AuthnRequest: req, SPCertPEM: spKey.CertificatePEM(), Extra: spec.extra(idp, RSASHA256)}
				_, err := b.peer.Issue(context.Background(), opts, t.TempDir())
				switch {
				case err == nil:
					t.Errorf("%s issued a response to an AuthnRequest signed with a key other than the SP certificate it was given", name)
				case errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), spec.refusal[flow]):
					t.Errorf("%s failed, but not by refusing the signature (want %q in the error): %v", name, spec.refusal[flow], err)
				}
			})
		}
	}
}

func TestPySAML2(t *testing.T)       { t.Parallel(); testPeer(t, NamePySAML2) }
func TestLasso(t *testing.T)         { t.Parallel(); testPeer(t, NameLasso) }
func TestSimpleSAMLphp(t *testing.T) { t.Parallel(); testPeer(t, NameSimpleSAMLphp) }

// parallelIfInProcess lets the one-shot script peers run side by side; SimpleSAMLphp's
// one server takes one login at a time, so its cases stay in order.
func parallelIfInProcess(t *testing.T, name string) {
	if name != NameSimpleSAMLphp {
		t.Parallel()
	}
}

// policy is a signature policy of our SP and which placements satisfy it.
type policy struct {
	name        string
	set         func(*sp.Config)
	satisfiedBy func(Placement) bool
}

var policies = []policy{
	{"RequireSignedAssertion", func(c *sp.Config) { c.RequireSignedAssertion = true },
		func(p Placement) bool { return p == SignAssertion || p == SignBoth }},
	{"RequireSignedResponse", func(c *sp.Config) { c.RequireSignedResponse = true },
		func(p Placement) bool { return p == SignResponse || p == SignBoth }},
	{"RequireSignedAssertion+RequireSignedResponse", func(c *sp.Config) {
		c.RequireSignedAssertion, c.RequireSignedResponse = true, true
	}, func(p Placement) bool { return p == SignBoth }},
}

// issued is one response from a peer and the SP it was issued for.
type issued struct {
	sp         *sp.SP
	now        time.Time
	key        *certs.KeyPair
	flow       string
	requestIDs []string
	request    string // our AuthnRequest as handed to the peer
	res        *Result
}

// issue makes our SP (clock fixed a second after now), for SP-initiated login builds the
// AuthnRequest with our own AuthnRequestURL (signed when the peer checks signatures), and
// has the peer answer it.
func issue(t *testing.T, b *boot, spec peerSpec, idp *metadata.IdP, spKey *certs.KeyPair, flow string, opts Options) *issued {
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
	opts.Extra = append(spec.extra(idp, opts.SigAlg), opts.Extra...)
	if flow != idpInitiated {
		if spec.verifiesRequests {
			r.key = spKey
			opts.SPCertPEM = spKey.CertificatePEM()
		}
		r.sp = newSPAt(t, idp, now, r.key, false, nil)
		req, id := authnRequest(t, r.sp, flow, "relay-"+spec.name)
		r.request, r.requestIDs = req, []string{id}
		opts.AuthnRequest = req
	} else {
		r.sp = newSPAt(t, idp, now, nil, true, nil)
		opts.SPEntityID, opts.ACSURL = spEntityID, acsURL
	}
	res, err := b.peer.Issue(context.Background(), opts, t.TempDir())
	if err != nil {
		if r.request != "" {
			t.Logf("our AuthnRequest: %s", r.request)
		}
		t.Fatalf("%s did not issue a response: %v", spec.name, err)
	}
	r.res = res
	if flow != idpInitiated {
		if got := res.XML; !strings.Contains(string(got), `InResponseTo="`+r.requestIDs[0]+`"`) {
			t.Errorf("%s's response does not answer our request ID %s", spec.name, r.requestIDs[0])
		}
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

// newSP is another SP like r's (same clock, flow and key) with a fresh replay cache.
func (r *issued) newSP(t *testing.T, idp *metadata.IdP, mod func(*sp.Config)) *sp.SP {
	return newSPAt(t, idp, r.now, r.key, r.flow == idpInitiated, mod)
}

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

// save keeps a rejected response for the report: /tmp/ssokit-interop-failures/<test>/.
func (r *issued) save(t *testing.T) {
	dir := filepath.Join(os.TempDir(), "ssokit-interop-failures", strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Log(err)
		return
	}
	for name, data := range map[string][]byte{
		"response.xml": r.res.XML, "response.b64": []byte(r.res.Response + "\n"),
		"idp-cert.pem": r.res.CertPEM, "idp-metadata.xml": r.res.Metadata,
		"authn-request.txt": []byte(r.request + "\n"),
		"clock.txt":         []byte(r.now.Add(time.Second).UTC().Format(time.RFC3339Nano) + "\n"),
	} {
		_ = os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	t.Logf("failing input saved in %s", dir)
}

var (
	sessionIndexRE = regexp.MustCompile(`<(?:\w+:)?AuthnStatement\b[^>]*\sSessionIndex="([^"]*)"`)
	classRefRE     = regexp.MustCompile(`<(?:\w+:)?AuthnContextClassRef>([^<]*)<`)
)

// checkAssertion asserts what the peer was told to say arrived, read by our SP.
func checkAssertion(t *testing.T, spec peerSpec, idp *metadata.IdP, r *issued, a *assertion.Assertion) {
	t.Helper()
	if a.NameID.Value != nameID || a.NameID.Format != emailFormat {
		t.Errorf("NameID = %q (format %q), want %q (%s)", a.NameID.Value, a.NameID.Format, nameID, emailFormat)
	}
	if a.Issuer != idp.EntityID {
		t.Errorf("Issuer = %q, want %q", a.Issuer, idp.EntityID)
	}
	if !slices.Contains(a.Audiences, spEntityID) {
		t.Errorf("Audiences = %q, want to contain %q", a.Audiences, spEntityID)
	}
	want := ""
	if r.flow != idpInitiated {
		want = r.requestIDs[0]
	}
	if a.InResponseTo != want {
		t.Errorf("InResponseTo = %q, want %q", a.InResponseTo, want)
	}
	if id := r.res.InfoString("assertion_id"); id != "" && a.ID != id {
		t.Errorf("assertion ID = %q, the peer says %q", a.ID, id)
	}
	for _, rel := range released {
		name, friendly := spec.wireName(rel.Name)
		got, ok := a.Attributes[name]
		if !ok {
			t.Errorf("attribute %q (released as %q) missing; got names %q", name, rel.Name, a.AttributeNames)
			continue
		}
		if !slices.Equal(got.Values, rel.Values) {
			t.Errorf("attribute %q values = %q, want %q", name, got.Values, rel.Values)
		}
		if got.FriendlyName != friendly {
			t.Errorf("attribute %q FriendlyName = %q, want %q", name, got.FriendlyName, friendly)
		}
		if got.Name != name {
			t.Errorf("attribute keyed %q has Name %q", name, got.Name)
		}
	}
	// Session facts, compared with what the peer wrote (Lasso sends no SessionIndex).
	if m := sessionIndexRE.FindSubmatch(r.res.XML); m != nil && a.SessionIndex != string(m[1]) {
		t.Errorf("SessionIndex = %q, the response says %q", a.SessionIndex, m[1])
	} else if m == nil && a.SessionIndex != "" {
		t.Errorf("SessionIndex = %q, the response has none", a.SessionIndex)
	}
	if m := classRefRE.FindSubmatch(r.res.XML); m == nil || a.AuthnContextClassRef != string(m[1]) {
		t.Errorf("AuthnContextClassRef = %q, the response says %q", a.AuthnContextClassRef, m)
	}
	// Only what was released: the peers' own defaults (uid etc.) are not added.
	if len(a.Attributes) != len(released) {
		t.Errorf("%d attributes %q, want %d", len(a.Attributes), a.AttributeNames, len(released))
	}
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
