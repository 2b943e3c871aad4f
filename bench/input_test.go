package bench

import (
	"crypto/rsa"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
)

// The responses every library validates come from internal/samltest: Entra's wire shape
// (samlp: prefix, default-namespaced Assertion, Issuer and Signature), the nine default
// claims, RSA-2048, RSA-SHA256, exclusive C14N, an SP-initiated login answering
// samltest.RequestID. Every library validates them at samltest.Now.
var now = samltest.Now

// claimCount is the number of attributes in a default response.
const claimCount = 9

// fixture is one signed response and the key pair that signed it.
type fixture struct {
	name string
	xml  []byte // the decoded document
	form string // the base64 form value as posted to the ACS
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

var (
	fixturesOnce sync.Once
	fixturesVal  []fixture
	fixturesErr  error
)

// fixtures returns the assertion-signed (Entra's default) and the both-signed response,
// made once per process: signing is no part of any measurement.
func fixtures(tb testing.TB) []fixture {
	tb.Helper()
	fixturesOnce.Do(func() {
		idp := samltest.DefaultIdP()
		for _, v := range []struct {
			name string
			sign samltest.Placement
		}{{"assertion_signed", samltest.SignAssertion}, {"both_signed", samltest.SignBoth}} {
			xml, err := idp.Response(samltest.Options{Sign: v.sign})
			if err != nil {
				fixturesErr = err
				return
			}
			fixturesVal = append(fixturesVal, fixture{
				name: v.name,
				xml:  xml,
				form: samltest.Encode(xml),
				cert: idp.Cert,
				key:  idp.Key,
			})
		}
	})
	if fixturesErr != nil {
		tb.Fatalf("samltest: %v", fixturesErr)
	}
	return fixturesVal
}

// The clock every library is pinned to, as a time.Time function.
func clock() time.Time { return now }
