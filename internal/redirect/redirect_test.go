package redirect

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

type keyCert struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     []keyCert
)

// testKeys are two RSA keys (the IdP's and an attacker's), made once.
func testKeys(t testing.TB) (idp, other keyCert) {
	t.Helper()
	keysOnce.Do(func() {
		for i := range 2 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: "k"},
				NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
			if err != nil {
				panic(err)
			}
			c, _ := x509.ParseCertificate(der)
			keys = append(keys, keyCert{k, c})
		}
	})
	return keys[0], keys[1]
}

const logoutXML = `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" InResponseTo="id1"/>`

func TestRoundTripSignedAndUnsigned(t *testing.T) {
	idp, _ := testKeys(t)
	v, err := Encode([]byte(logoutXML))
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"signed": idp.key, "unsigned": nil} {
		t.Run(name, func(t *testing.T) {
			q, err := Query(SAMLResponse, v, "rs/1 +x", key)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(q, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if m.Param != SAMLResponse || m.RelayState != "rs/1 +x" || !m.HasRelayState || m.Signed() != (key != nil) {
				t.Fatalf("parsed %+v", m)
			}
			if key != nil {
				if c, err := m.Verify([]*x509.Certificate{idp.cert}, false); err != nil || c != idp.cert {
					t.Fatalf("Verify = %v, %v", c, err)
				}
			} else if _, err := m.Verify([]*x509.Certificate{idp.cert}, false); !errors.Is(err, ErrSignature) {
				t.Fatalf("unsigned Verify = %v, want ErrSignature", err)
			}
			xml, err := Inflate(m.Value, DefaultLimits.MaxInflated)
			if err != nil || string(xml) != logoutXML {
				t.Fatalf("Inflate = %q, %v", xml, err)
			}
		})
	}
}

// lowerEscapes rewrites every %XX escape in lower case, as Microsoft's stacks send them.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = bytes.ToLower(b[i+1 : i+2])[0], bytes.ToLower(b[i+2 : i+3])[0]
		}
	}
	return string(b)
}

// signRaw signs the given raw octets as an IdP would and returns the Signature value,
// percent-encoded in lower case.
func signRaw(t *testing.T, k *rsa.PrivateKey, h crypto.Hash, octets string) string {
	t.Helper()
	d := h.New()
	d.Write([]byte(octets))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, h, d.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return lowerEscapes(url.QueryEscape(base64.StdEncoding.EncodeToString(sig)))
}

// Entra's wire form: lower-case escapes and the order SAMLRequest, Signature, SigAlg.
// The signature covers the raw octets as received; a verifier that decoded and
// re-encoded the values (upper case) would compute other octets and fail.
func TestVerifyOverTheRawQueryAsReceived(t *testing.T) {
	idp, _ := testKeys(t)
	v, _ := Encode([]byte(logoutXML))
	rawValue := lowerEscapes(url.QueryEscape(v))
	rawRS := lowerEscapes(url.QueryEscape("https://app.example/after?x=1"))
	rawAlg := lowerEscapes(url.QueryEscape(RSASHA256))
	if rawAlg == url.QueryEscape(RSASHA256) {
		t.Fatal("test needs escapes that differ by case")
	}
	signed := "SAMLRequest=" + rawValue + "&RelayState=" + rawRS + "&SigAlg=" + rawAlg
	sig := signRaw(t, idp.key, crypto.SHA256, signed)
	wire := "SAMLRequest=" + rawValue + "&Signature=" + sig + "&RelayState=" + rawRS + "&SigAlg=" + rawAlg

	m, err := Parse(wire, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify([]*x509.Certificate{idp.cert}, false); err != nil {
		t.Fatalf("lower-case, reordered query: %v", err)
	}
	// Control: the same values re-encoded the standard way are other octets.
	reencoded := url.Values{"SAMLRequest": {m.Value}, "RelayState": {m.RelayState}, "SigAlg": {m.SigAlg}}
	if reencoded.Encode() == signed {
		t.Fatal("control: re-encoding did not change the octets; the test proves nothing")
	}
	// Rewriting the escapes in upper case after signing changes the signed octets.
	upper := "SAMLRequest=" + url.QueryEscape(v) + "&Signature=" + sig + "&RelayState=" + url.QueryEscape("https://app.example/after?x=1") + "&SigAlg=" + url.QueryEscape(RSASHA256)
	m2, err := Parse(upper, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Verify([]*x509.Certificate{idp.cert}, false); !errors.Is(err, ErrSignature) {
		t.Fatalf("re-encoded query verified: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	idp, other := testKeys(t)
	v, _ := Encode([]byte(logoutXML))
	good, err := Query(SAMLResponse, v, "rs", idp.key)
	if err != nil {
		t.Fatal(err)
	}
	trusted := []*x509.Certificate{idp.cert}
	if m, err := Parse(good, DefaultLimits); err != nil {
		t.Fatal(err)
	} else if _, err := m.Verify(trusted, false); err != nil {
		t.Fatalf("control: %v", err)
	}
	byOther, _ := Query(SAMLResponse, v, "rs", other.key)
	otherV, _ := Encode([]byte(strings.Replace(logoutXML, "id1", "id2", 1)))
	sha1Octets := "SAMLResponse=" + url.QueryEscape(v) + "&SigAlg=" + url.QueryEscape(RSASHA1)
	sha1Query := sha1Octets + "&Signature=" + signRaw(t, idp.key, crypto.SHA1, sha1Octets)
	noRS, _ := Query(SAMLResponse, v, "", idp.key)
	for _, tc := range []struct{ name, query string }{
		{"signed by another key", byOther},
		{"message swapped after signing", strings.Replace(good, url.QueryEscape(v), url.QueryEscape(otherV), 1)},
		{"RelayState changed after signing", strings.Replace(good, "RelayState=rs", "RelayState=rt", 1)},
		{"RelayState removed after signing", strings.Replace(good, "&RelayState=rs", "", 1)},
		{"RelayState added after signing", strings.Replace(noRS, "&SigAlg", "&RelayState=x&SigAlg", 1)},
		{"SHA-1 without opt-in", sha1Query},
		{"unknown SigAlg", strings.Replace(good, url.QueryEscape(RSASHA256), url.QueryEscape("http://www.w3.org/2000/09/xmldsig#dsa-sha1"), 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.query, DefaultLimits)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if _, err := m.Verify(trusted, false); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify = %v, want ErrSignature", err)
			}
		})
	}
	// SHA-1 with opt-in verifies: the rejection above is the policy, not a broken signature.
	m, _ := Parse(sha1Query, DefaultLimits)
	if _, err := m.Verify(trusted, true); err != nil {
		t.Errorf("SHA-1 with opt-in: %v", err)
	}
}

func deflate(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ name, query string }{
		{"empty", ""},
		{"no message", "RelayState=x"},
		{"both request and response", "SAMLRequest=a&SAMLResponse=b"},
		{"two SAMLRequest", "SAMLRequest=a&SAMLRequest=b"},
		{"two RelayState", "SAMLRequest=a&RelayState=1&RelayState=2"},
		{"two Signature", "SAMLRequest=a&SigAlg=x&Signature=AAAA&Signature=AAAA"},
		{"SigAlg without Signature", "SAMLRequest=a&SigAlg=x"},
		{"Signature without SigAlg", "SAMLRequest=a&Signature=AAAA"},
		{"Signature not base64", "SAMLRequest=a&SigAlg=x&Signature=%%%"},
		{"bad escape", "SAMLRequest=%zz"},
		{"over MaxQuery", "SAMLRequest=" + strings.Repeat("A", DefaultLimits.MaxQuery)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m, err := Parse(tc.query, DefaultLimits); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %+v, %v, want ErrMalformed", m, err)
			}
		})
	}
	// Just under the limit is read.
	q := "SAMLRequest=" + strings.Repeat("A", DefaultLimits.MaxQuery-len("SAMLRequest="))
	if _, err := Parse(q, DefaultLimits); err != nil {
		t.Errorf("at MaxQuery: %v", err)
	}
}

func TestInflateRejects(t *testing.T) {
	lim := DefaultLimits.MaxInflated
	atLimit := base64.StdEncoding.EncodeToString(deflate(t, bytes.Repeat([]byte("a"), lim)))
	if out, err := Inflate(atLimit, lim); err != nil || len(out) != lim {
		t.Fatalf("at the limit: %d bytes, %v", len(out), err)
	}
	withTrailer := base64.StdEncoding.EncodeToString(append(deflate(t, []byte(logoutXML)), "junk"...))
	for _, tc := range []struct{ name, value string }{
		{"one byte over the inflated limit", base64.StdEncoding.EncodeToString(deflate(t, bytes.Repeat([]byte("a"), lim+1)))},
		{"a DEFLATE bomb (16 MiB of zeros)", base64.StdEncoding.EncodeToString(deflate(t, make([]byte, 16<<20)))},
		{"not base64", "***"},
		{"empty", ""},
		{"not DEFLATE (plain XML in base64)", base64.StdEncoding.EncodeToString([]byte(logoutXML))},
		{"data after the compressed message", withTrailer},
		{"truncated stream", base64.StdEncoding.EncodeToString(deflate(t, []byte(logoutXML))[:10])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Inflate(tc.value, lim); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Inflate = %v, want ErrMalformed", err)
			}
		})
	}
}

// A DEFLATE bomb costs at most the inflated limit in memory, however far it would expand.
func TestInflateAllocationIsBounded(t *testing.T) {
	bomb := base64.StdEncoding.EncodeToString(deflate(t, make([]byte, 64<<20)))
	Inflate(bomb, DefaultLimits.MaxInflated) // warm the pools
	const runs = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := Inflate(bomb, DefaultLimits.MaxInflated); !errors.Is(err, ErrMalformed) {
			t.Fatalf("bomb: %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	// The inflated bound (twice over for ReadAll's growth), the decoded input, and
	// flate's own window and tables.
	if limit := uint64(4*DefaultLimits.MaxInflated + len(bomb) + 128<<10); perRun > limit {
		t.Errorf("a 64 MiB bomb allocated %d bytes per Inflate, want under %d", perRun, limit)
	}
}

func BenchmarkParseVerifyInflate(b *testing.B) {
	idp, _ := testKeys(b)
	v, _ := Encode([]byte(logoutXML))
	q, _ := Query(SAMLResponse, v, "rs", idp.key)
	trusted := []*x509.Certificate{idp.cert}
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse(q, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Verify(trusted, false); err != nil {
			b.Fatal(err)
		}
		if _, err := Inflate(m.Value, DefaultLimits.MaxInflated); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInflateBomb(b *testing.B) {
	bomb := base64.StdEncoding.EncodeToString(deflate(b, make([]byte, 64<<20)))
	b.ReportAllocs()
	for b.Loop() {
		Inflate(bomb, DefaultLimits.MaxInflated)
	}
}
