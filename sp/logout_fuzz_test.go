package sp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
)

// Fuzz targets for the logout parsers, over both bindings:
//
//	go test ./sp -run '^$' -fuzz '^FuzzValidateLogoutRequest$' -fuzztime 20s
//	go test ./sp -run '^$' -fuzz '^FuzzValidateLogoutResponse$' -fuzztime 20s
//
// Properties: never panic; every rejection is an *Error wrapping one sentinel; anything
// accepted as signed names the trusted IdP's certificate, and as a request it names the
// NameID the IdP signed (the seeds sign only that one).

// acceptEvery lets a signed seed be accepted again, so the fuzzer explores around it.
type acceptEvery struct{}

func (acceptEvery) Remember(context.Context, string, time.Time) error { return nil }

var logoutKinds = []error{ErrMalformed, ErrSignature, ErrIssuer, ErrDestination, ErrExpired, ErrInResponseTo, ErrStatus, ErrReplay}

func checkLogoutErr(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not an *Error: %v", err)
	}
	for _, k := range logoutKinds {
		if errors.Is(err, k) {
			return
		}
	}
	t.Fatalf("undocumented error kind: %v", err)
}

func fuzzSP(t testing.TB) (*SP, *samltest.IdP) {
	idp := samltest.DefaultIdP()
	cfg := logoutConfig(idp)
	cfg.ReplayCache = acceptEvery{}
	return newSP(t, cfg), idp
}

func FuzzValidateLogoutRequest(f *testing.F) {
	_, idp := fuzzSP(f)
	req := idpLogoutRequest("_f")
	f.Add(entraQuery(f, idp.Key, "SAMLRequest", xmlOf(f, req), "rs"), false)
	f.Add(entraQuery(f, nil, "SAMLRequest", xmlOf(f, req), ""), false)
	f.Add(postValue(f, idp, req), true)
	f.Add(postValue(f, nil, req), true)
	f.Add("SAMLRequest=%zz&SigAlg=x&Signature=AAAA", false)
	s, _ := fuzzSP(f)
	f.Fuzz(func(t *testing.T, data string, post bool) {
		var r *LogoutRequest
		var err error
		if post {
			r, err = s.ValidateLogoutRequestForm(context.Background(), data, "")
		} else {
			r, err = s.ValidateLogoutRequest(context.Background(), data)
		}
		if err != nil {
			if r != nil {
				t.Fatal("a request returned with an error")
			}
			checkLogoutErr(t, err)
			return
		}
		if r.Issuer != idp.EntityID {
			t.Fatalf("accepted from issuer %q", r.Issuer)
		}
		if r.Signer != nil && (r.Signer != idp.Cert || !strings.HasPrefix(r.NameID.Value, "adele@")) {
			t.Fatalf("signed request accepted for %q by %v", r.NameID.Value, r.Signer.Subject)
		}
	})
}

func FuzzValidateLogoutResponse(f *testing.F) {
	_, idp := fuzzSP(f)
	const reqID = "idfuzz"
	resp := idpLogoutResponse("_f", reqID, statusSuccess)
	f.Add(entraQuery(f, idp.Key, "SAMLResponse", xmlOf(f, resp), "rs"), false)
	f.Add(entraQuery(f, nil, "SAMLResponse", xmlOf(f, resp), ""), false)
	f.Add(postValue(f, idp, resp), true)
	f.Add(postValue(f, nil, resp), true)
	f.Add("SAMLResponse=&RelayState=", false)
	s, _ := fuzzSP(f)
	f.Fuzz(func(t *testing.T, data string, post bool) {
		var r *LogoutResponse
		var err error
		if post {
			r, err = s.ValidateLogoutResponseForm(context.Background(), data, "", reqID)
		} else {
			r, err = s.ValidateLogoutResponse(context.Background(), data, reqID)
		}
		if err != nil {
			if r != nil {
				t.Fatal("a response returned with an error")
			}
			checkLogoutErr(t, err)
			return
		}
		if r.InResponseTo != reqID || (r.Issuer != idp.EntityID && r.Issuer != entraLogoutIssuer) {
			t.Fatalf("accepted %+v", r)
		}
		if r.Signer != nil && r.Signer != idp.Cert {
			t.Fatalf("signed by %v", r.Signer.Subject)
		}
	})
}

// A signed Entra LogoutRequest (HTTP-Redirect), and a DEFLATE bomb refused at the bound.
func BenchmarkValidateLogoutRequest(b *testing.B) {
	s, idp := fuzzSP(b)
	q := entraQuery(b, idp.Key, "SAMLRequest", xmlOf(b, idpLogoutRequest("_b")), "rs")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ValidateLogoutRequest(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateLogoutRequestBomb(b *testing.B) {
	s, _ := fuzzSP(b)
	q := "SAMLRequest=" + strings.ReplaceAll(deflateB64(b, make([]byte, 16<<20)), "+", "%2B")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ValidateLogoutRequest(context.Background(), q); !errors.Is(err, ErrMalformed) {
			b.Fatal(err)
		}
	}
}
