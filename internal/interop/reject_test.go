package interop

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/sp"
)

// unsignedRejected: the peer's own unsigned response is never accepted.
func (g *rig) unsignedRejected(t *testing.T, flow string) {
	r := g.issue(t, flow, Options{Sign: SignNone, SigAlg: RSASHA256})
	if n, _ := r.res.Info["signature_count"].(float64); n != 0 {
		t.Fatalf("peer made %v signatures for --sign none", n)
	}
	if err := r.validate(); !errors.Is(err, sp.ErrSignature) {
		r.save(t)
		t.Errorf("unsigned response: %v, want ErrSignature", err)
	}
}

// sha1RejectedByDefault: a response whose signature or digest uses SHA-1 is rejected
// unless the SP opts in with InsecureAllowSHA1.
func (g *rig) sha1RejectedByDefault(t *testing.T, alg string, extra []string) {
	r := g.issue(t, idpInitiated, Options{Sign: SignBoth, SigAlg: alg, Extra: extra})
	if err := r.validate(); !errors.Is(err, sp.ErrSignature) {
		r.save(t)
		t.Errorf("SHA-1 without InsecureAllowSHA1: %v, want ErrSignature", err)
	}
	optIn := r.newSP(t, g.idp, func(c *sp.Config) { c.InsecureAllowSHA1 = true })
	if _, err := optIn.ValidateResponse(context.Background(), r.res.Response); err != nil {
		r.save(t)
		t.Errorf("SHA-1 with InsecureAllowSHA1: %v", err)
	}
}

// badlySignedRequestRefused: the peer refuses our AuthnRequest when it is signed with a
// key other than the SP certificate it was given. The accepted SP-initiated combinations
// prove the peer takes our signed requests; this proves it actually checks them.
func (g *rig) badlySignedRequestRefused(t *testing.T, flow string) {
	impostor := newSPAt(t, g.idp, time.Now(), keys(t).stranger, false, nil)
	req, _ := authnRequest(t, impostor, flow, "rs")
	opts := Options{AuthnRequest: req, SPCertPEM: keys(t).sp.CertificatePEM(), Extra: g.spec.extra(g.idp, RSASHA256)}
	_, err := g.boot.peer.Issue(context.Background(), opts, t.TempDir())
	want := g.spec.refusal[flow]
	switch {
	case err == nil:
		t.Errorf("%s issued a response to an AuthnRequest signed with a key other than the SP certificate it was given", g.spec.name)
	case errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), want):
		t.Errorf("%s failed, but not by refusing the signature (want %q in the error): %v", g.spec.name, want, err)
	}
}

// otherACSRejected: SimpleSAMLphp answers a request for an ACS it does not know at its
// registered default ACS, with only a log warning. Our SP must refuse that response.
func (g *rig) otherACSRejected(t *testing.T) {
	const otherACS = "https://sp.example.test/saml/other-acs"
	r := g.issue(t, spInitiated, Options{Sign: SignBoth, SigAlg: RSASHA256, ACSURL: otherACS})
	if d := r.res.InfoString("destination"); d != otherACS {
		t.Fatalf("SimpleSAMLphp answered to %q, this check expects it at %q", d, otherACS)
	}
	if err := r.validate(); !errors.Is(err, sp.ErrDestination) {
		r.save(t)
		t.Errorf("response to another ACS: %v, want ErrDestination", err)
	}
}

// otherAudienceRejected: a response the peer issued for another SP (its Audience and
// SPNameQualifier) is not ours to accept, even signed by our IdP and posted to our ACS.
func (g *rig) otherAudienceRejected(t *testing.T) {
	const otherSP = "https://other-sp.example.test/metadata"
	r := g.issue(t, idpInitiated, Options{Sign: SignBoth, SigAlg: RSASHA256, SPEntityID: otherSP})
	if !strings.Contains(string(r.res.XML), otherSP) {
		t.Fatalf("the peer did not address its response to %s", otherSP)
	}
	if err := r.validate(); !errors.Is(err, sp.ErrAudience) {
		r.save(t)
		t.Errorf("response for another SP: %v, want ErrAudience", err)
	}
}
