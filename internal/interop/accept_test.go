package interop

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp"
)

const (
	emailFormat      = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	persistentFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	uriNameFormat    = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
)

// acceptsCombination: the peer's response for c is accepted and reads back as issued, and
// the same bytes are still judged correctly by every check that must turn them down.
func (g *rig) acceptsCombination(t *testing.T, c combination) {
	r := g.issue(t, c.flow, Options{Sign: c.placement, SigAlg: c.alg})
	a, err := r.sp.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...)
	if err != nil {
		r.save(t)
		t.Fatalf("ValidateResponse rejected %s's response: %v", g.spec.name, err)
	}
	g.checkAssertion(t, r, a)

	// The same response a second time is a replay.
	if err := r.validate(); !errors.Is(err, sp.ErrReplay) {
		t.Errorf("second ValidateResponse of the same response: %v, want ErrReplay", err)
	}
	// It answers exactly the request it was issued for, or none at all.
	if r.flow == idpInitiated {
		strict := newSPAt(t, g.idp, r.now, r.key, false, nil)
		if _, err := strict.ValidateResponse(context.Background(), r.res.Response); !errors.Is(err, sp.ErrUnsolicited) {
			t.Errorf("IdP-initiated response at an SP that does not allow it: %v, want ErrUnsolicited", err)
		}
	} else if _, err := r.newSP(t, g.idp, nil).ValidateResponse(context.Background(), r.res.Response, "_another-request"); !errors.Is(err, sp.ErrInResponseTo) {
		t.Errorf("response to our request, validated against another outstanding request: %v, want ErrInResponseTo", err)
	}
	// A policy demanding the signatures this placement has accepts it; one demanding a
	// signature it lacks rejects it.
	for _, pol := range policies {
		_, err := r.newSP(t, g.idp, pol.set).ValidateResponse(context.Background(), r.res.Response, r.requestIDs...)
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
	wrong := *g.idp
	wrong.Certificates = []*x509.Certificate{keys(t).stranger.Certificate}
	if _, err := r.newSP(t, &wrong, nil).ValidateResponse(context.Background(), r.res.Response, r.requestIDs...); !errors.Is(err, sp.ErrSignature) {
		t.Errorf("validated against an untrusted certificate: %v, want ErrSignature", err)
	}
	// During a rollover the SP trusts the old and the new certificate; the peer's still verifies.
	rollover := *g.idp
	rollover.Certificates = []*x509.Certificate{keys(t).stranger.Certificate, g.idp.Certificates[0]}
	if _, err := r.newSP(t, &rollover, nil).ValidateResponse(context.Background(), r.res.Response, r.requestIDs...); err != nil {
		t.Errorf("with the IdP certificate second of two: %v", err)
	}
	// This peer's serialisation, changed after signing: another user.
	tampered := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(string(r.res.XML), nameID, "mallory@example.com")))
	if _, err := r.newSP(t, g.idp, nil).ValidateResponse(context.Background(), tampered, r.requestIDs...); !errors.Is(err, sp.ErrSignature) {
		t.Errorf("NameID changed after signing: %v, want ErrSignature", err)
	}
	// The peer's validity window, read from its timestamps, closes.
	late := newSPAt(t, g.idp, r.now.Add(time.Hour), r.key, r.flow == idpInitiated, nil)
	if _, err := late.ValidateResponse(context.Background(), r.res.Response, r.requestIDs...); !errors.Is(err, sp.ErrExpired) {
		t.Errorf("an hour later: %v, want ErrExpired", err)
	}
	// The admin's "Test SAML configuration" report agrees.
	d := r.newSP(t, g.idp, nil).Diagnose(context.Background(), r.res.Response, r.requestIDs...)
	if !d.OK || len(d.Failed()) > 0 || d.Assertion == nil || d.Assertion.NameID.Value != nameID {
		t.Errorf("Diagnose: OK=%v failed=%+v", d.OK, d.Failed())
	}
	d = r.newSP(t, &wrong, nil).Diagnose(context.Background(), r.res.Response, r.requestIDs...)
	if f := d.Failed(); d.OK || len(f) == 0 || !errors.Is(f[0].Err, sp.ErrSignature) {
		t.Errorf("Diagnose with an untrusted certificate: OK=%v failed=%+v, want a signature failure first", d.OK, f)
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

var (
	sessionIndexRE = regexp.MustCompile(`<(?:\w+:)?AuthnStatement\b[^>]*\sSessionIndex="([^"]*)"`)
	classRefRE     = regexp.MustCompile(`<(?:\w+:)?AuthnContextClassRef>([^<]*)<`)
)

// checkAssertion asserts that what the peer was told to say arrived, as our SP read it.
func (g *rig) checkAssertion(t *testing.T, r *issued, a *assertion.Assertion) {
	t.Helper()
	if a.NameID.Value != nameID || a.NameID.Format != emailFormat {
		t.Errorf("NameID = %q (format %q), want %q (%s)", a.NameID.Value, a.NameID.Format, nameID, emailFormat)
	}
	if a.Issuer != g.idp.EntityID {
		t.Errorf("Issuer = %q, want %q", a.Issuer, g.idp.EntityID)
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
		name, friendly := g.spec.wireName(rel.Name)
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
	// Only what was released: the peers' own defaults (uid etc.) are not added.
	if len(a.Attributes) != len(released) {
		t.Errorf("%d attributes %q, want %d", len(a.Attributes), a.AttributeNames, len(released))
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
}

// escapedValuesSurvive: markup characters and whitespace, escaped by each peer its own
// way, arrive as sent.
func (g *rig) escapedValuesSurvive(t *testing.T) {
	const odd = `o'brien&<x>"q"@example.com`
	attrs := []Attribute{
		{Name: "ws", Values: []string{"  padded  ", "line1\nline2", ""}},
		{Name: "amp&name", Values: []string{"a&b<c>"}},
	}
	r := g.issue(t, idpInitiated, Options{Sign: SignBoth, SigAlg: RSASHA256,
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
}

// otherFormatsAccepted: a persistent NameID and uri-format attribute names (pysaml2: its
// attribute map turned off, names as given) read back as issued.
func (g *rig) otherFormatsAccepted(t *testing.T) {
	opts := Options{Sign: SignBoth, SigAlg: RSASHA256, NameIDFormat: "persistent"}
	if g.spec.name == NamePySAML2 {
		opts.Extra = []string{"--attr-map", "verbatim"}
	} else {
		opts.Extra = []string{"--attr-name-format", "uri"}
	}
	r := g.issue(t, idpInitiated, opts)
	a, err := r.sp.ValidateResponse(context.Background(), r.res.Response)
	if err != nil {
		r.save(t)
		t.Fatalf("ValidateResponse: %v", err)
	}
	if a.NameID.Value != nameID || a.NameID.Format != persistentFormat {
		t.Errorf("NameID = %q (format %q), want %q (%s)", a.NameID.Value, a.NameID.Format, nameID, persistentFormat)
	}
	for _, rel := range released {
		got, ok := a.Attributes[rel.Name]
		if !ok || !slices.Equal(got.Values, rel.Values) {
			t.Errorf("attribute %q = %+v, want values %q; names %q", rel.Name, got, rel.Values, a.AttributeNames)
			continue
		}
		if got.NameFormat != uriNameFormat {
			t.Errorf("attribute %q NameFormat = %q, want %q", rel.Name, got.NameFormat, uriNameFormat)
		}
	}
}
