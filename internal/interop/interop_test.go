package interop

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ssokit/saml/metadata"
)

func TestPySAML2(t *testing.T)       { t.Parallel(); testPeer(t, NamePySAML2) }
func TestLasso(t *testing.T)         { t.Parallel(); testPeer(t, NameLasso) }
func TestSimpleSAMLphp(t *testing.T) { t.Parallel(); testPeer(t, NameSimpleSAMLphp) }

// testPeer runs, for one peer, every signing placement × algorithm × flow it offers
// through ValidateResponse, then the peer's negative signals. docs/interop.md is the
// table of what this covers.
func testPeer(t *testing.T, name string) {
	g := newRig(t, name)
	for _, c := range g.combinations() {
		t.Run(c.String(), func(t *testing.T) { g.parallel(t); g.acceptsCombination(t, c) })
	}
	t.Run("escaped-and-whitespace-values-survive", func(t *testing.T) { g.parallel(t); g.escapedValuesSurvive(t) })
	t.Run("persistent-nameid-uri-attribute-names", func(t *testing.T) { g.parallel(t); g.otherFormatsAccepted(t) })

	for _, flow := range []string{idpInitiated, spInitiated} {
		t.Run("unsigned-rejected/"+flow, func(t *testing.T) { g.parallel(t); g.unsignedRejected(t, flow) })
	}
	t.Run("issued-for-another-sp-rejected", func(t *testing.T) { g.parallel(t); g.otherAudienceRejected(t) })
	t.Run("sha1-rejected-by-default", func(t *testing.T) { g.parallel(t); g.sha1RejectedByDefault(t, RSASHA1, nil) })
	if name == NamePySAML2 {
		// pysaml2 chooses the digest apart from the signature method, and its library
		// default digest is SHA-1: an IdP set to RSA-SHA256 alone still digests with SHA-1.
		t.Run("sha1-digest-under-rsa-sha256-rejected-by-default", func(t *testing.T) {
			g.parallel(t)
			g.sha1RejectedByDefault(t, RSASHA256, []string{"--digest-alg", "sha1"})
		})
	}
	if g.spec.verifiesRequests {
		for _, flow := range []string{spInitiated, spInitiatedPOST} {
			t.Run("request-signed-by-untrusted-key-refused-by-peer/"+flow, func(t *testing.T) {
				g.parallel(t)
				g.badlySignedRequestRefused(t, flow)
			})
		}
	}
	if name == NameSimpleSAMLphp {
		t.Run("answered-to-another-acs-rejected", g.otherACSRejected)
	}
}

// peerSpec is what one peer offers and how it writes what it was told to release.
type peerSpec struct {
	name string
	// algs are the signature algorithms tried for every placement and flow.
	algs []string
	// verifiesRequests: the peer checks our AuthnRequest's signature when given our
	// certificate (SimpleSAMLphp and Lasso; pysaml2's script cannot).
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

// RSASHA1 is refused by default; the peers still offer it.
const RSASHA1 = "rsa-sha1"

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
			digest := map[string]string{RSASHA256: "sha256", RSASHA512: "sha512", RSASHA1: "sha1"}[alg]
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

// combination is one cell of the interop table.
type combination struct {
	flow      string
	placement Placement
	alg       string
}

func (c combination) String() string { return fmt.Sprintf("%s/%s/%s", c.flow, c.placement, c.alg) }

// combinations are every placement × algorithm for IdP-initiated and redirect-binding
// SP-initiated login, and one POST-binding request (the response side does not change).
func (g *rig) combinations() []combination {
	var cs []combination
	for _, flow := range []string{idpInitiated, spInitiated} {
		for _, p := range []Placement{SignAssertion, SignResponse, SignBoth} {
			for _, alg := range g.spec.algs {
				cs = append(cs, combination{flow, p, alg})
			}
		}
	}
	return append(cs, combination{spInitiatedPOST, SignBoth, RSASHA256})
}
