package redirect

import (
	"crypto/x509"
	"errors"
	"testing"
)

// FuzzParse: a raw query from the network never panics Parse, Verify or Inflate; every
// failure is a documented kind; Inflate never returns more than its bound.
func FuzzParse(f *testing.F) {
	idp, _ := testKeys(f)
	v, _ := Encode([]byte(logoutXML))
	signed, _ := Query(SAMLResponse, v, "rs", idp.key)
	unsigned, _ := Query(SAMLRequest, v, "", nil)
	for _, s := range []string{signed, unsigned, lowerEscapes(signed), "", "SAMLRequest=", "SAMLRequest=%zz&x", "SAMLResponse=a&SigAlg=b&Signature=c&RelayState="} {
		f.Add(s)
	}
	trusted := []*x509.Certificate{idp.cert}
	lim := Limits{MaxQuery: 4 << 10, MaxInflated: 8 << 10}
	f.Fuzz(func(t *testing.T, q string) {
		m, err := Parse(q, lim)
		if err != nil {
			if m != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, %v", m, err)
			}
			return
		}
		if m.Signed() {
			if _, err := m.Verify(trusted, false); err != nil && !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify: undocumented error %v", err)
			}
		}
		out, err := Inflate(m.Value, lim.MaxInflated)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Inflate: undocumented error %v", err)
		}
		if len(out) > lim.MaxInflated {
			t.Fatalf("Inflate returned %d bytes, over its bound", len(out))
		}
	})
}
