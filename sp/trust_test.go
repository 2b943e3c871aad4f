package sp

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/internal/xmldsig"
)

// The returned Assertion names the certificate whose signature covered it (signer
// telemetry, trust refresh), for every Entra Signing Option, with and without token
// encryption, and during a rollover.
func TestAssertionCarriesItsSigner(t *testing.T) {
	cur, next := samltest.DefaultIdP(), samltest.NextIdP()
	const sha256, sha512 = samltest.AlgRSASHA256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	cases := []struct {
		name       string
		by         *samltest.IdP
		opts       samltest.Options
		alg        string
		respSigned bool
	}{
		{"assertion signed", cur, samltest.Options{}, sha256, false},
		{"response signed", cur, samltest.Options{Sign: samltest.SignResponse}, sha256, true},
		{"both signed", cur, samltest.Options{Sign: samltest.SignBoth, Algorithm: samltest.SHA512}, sha512, true},
		{"rollover: the next certificate signs", next, samltest.Options{}, sha256, false},
		{"encrypted, assertion signed", cur, samltest.Options{EncryptTo: samltest.DefaultSP().Cert}, sha256, false},
		{"encrypted, response signed", next, samltest.Options{Sign: samltest.SignResponse, EncryptTo: samltest.DefaultSP().Cert}, sha256, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := genConfig(cur)
			cfg.IdP.Certificates = []*x509.Certificate{cur.Cert, next.Cert}
			cfg.Key = samltest.DefaultSP().KeyPair()
			a := mustValidate(t, cfg, genResponse(t, c.by, c.opts), samltest.RequestID)
			if a.Signer == nil || !a.Signer.Equal(c.by.Cert) {
				t.Errorf("Signer = %v, want the certificate that signed (%s)", a.Signer, c.by.Cert.Subject)
			}
			if a.SignatureAlgorithm != c.alg {
				t.Errorf("SignatureAlgorithm = %q, want %q", a.SignatureAlgorithm, c.alg)
			}
			if got := a.ResponseSigner != nil; got != c.respSigned || got && !a.ResponseSigner.Equal(c.by.Cert) {
				t.Errorf("ResponseSigner = %v, want set: %v", a.ResponseSigner, c.respSigned)
			}
		})
	}
}

// #13.2: trust is a value. Only the coverage check makes it, once; each signature
// result is written only by its own check; nothing after the signature stage writes
// any of them. Run over every signing option, and over responses Diagnose goes on with.
func TestTrustIsMadeOnceByTheSignatureStage(t *testing.T) {
	idp := samltest.DefaultIdP()
	wrongAudience := samltest.Options{Audience: "https://other.example/"}
	forms := map[string]string{
		"assertion signed":                              genResponse(t, idp, samltest.Options{}),
		"both signed":                                   genResponse(t, idp, samltest.Options{Sign: samltest.SignBoth}),
		"response signed, encrypted":                    genResponse(t, idp, samltest.Options{Sign: samltest.SignResponse, EncryptTo: samltest.DefaultSP().Cert}),
		"unsigned":                                      genResponse(t, idp, samltest.Options{Sign: samltest.SignNone}),
		"signed by an untrusted key":                    genResponse(t, samltest.AttackerIdP(), samltest.Options{}),
		"wrong audience (Diagnose on)":                  genResponse(t, idp, wrongAudience),
		"both signed, wrong audience":                   genResponse(t, idp, samltest.Options{Sign: samltest.SignBoth, Audience: wrongAudience.Audience}),
		"assertion signed by attacker, response by IdP": bothBy(t, samltest.AttackerIdP(), idp),
	}
	writer := map[string]string{"trust": "signature coverage", "respV": "response signature", "assertV": "assertion signature"}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			cfg := genConfig(idp)
			cfg.Key = samltest.DefaultSP().KeyPair()
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			st := &state{sp: s, ctx: context.Background(), now: s.now(), requestIDs: []string{samltest.RequestID}, encoded: form}
			type snap struct {
				trust          *trust
				respV, assertV *xmldsig.Verified
			}
			take := func() snap { return snap{st.trust, st.respV, st.assertV} }
			for _, c := range pipeline {
				before := take()
				res := c.run(st)
				after := take()
				for field, changed := range map[string]bool{
					"trust":   before.trust != after.trust,
					"respV":   before.respV != after.respV,
					"assertV": before.assertV != after.assertV,
				} {
					if changed && c.name != writer[field] {
						t.Errorf("check %q wrote %s; only %q may", c.name, field, writer[field])
					}
				}
				if res.Status == Failed && c.gate {
					break
				}
			}
		})
	}
}

// bothBy is a response whose assertion inner signs and whose Response outer signs.
func bothBy(t *testing.T, inner, outer *samltest.IdP) string {
	t.Helper()
	doc, err := inner.ResponseDoc(samltest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := outer.Sign(doc.Root(), samltest.SHA256); err != nil {
		t.Fatal(err)
	}
	return samltest.Encode(samltest.Serialize(doc))
}

// A failed assertion signature is never rescued by a valid Response signature: every
// signature present must verify.
func TestEstablish(t *testing.T) {
	resp, own := &xmldsig.Verified{}, &xmldsig.Verified{}
	doc, err := samltest.DefaultIdP().ResponseDoc(samltest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		respV        *xmldsig.Verified
		assertV      *xmldsig.Verified
		assertSigned bool
		covered      bool
		want         *xmldsig.Verified // the signer, nil for untrusted
	}{
		{"assertion signature verified", nil, own, true, false, own},
		{"both verified: the assertion's own signs it", resp, own, true, true, own},
		{"response verified, assertion unsigned", resp, nil, false, true, resp},
		{"response verified, assertion signature failed", resp, nil, true, true, nil},
		{"response verified but holds no assertion", resp, nil, false, false, nil},
		{"nothing verified", nil, nil, false, false, nil},
		{"assertion signature failed, response unsigned", nil, nil, true, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var from *etree.Element
			if c.covered {
				from = samltest.AssertionOf(doc)
			}
			got := establish(c.respV, c.assertV, c.assertSigned, from)
			switch {
			case c.want == nil && got != nil:
				t.Fatalf("trusted by %p, want untrusted", got.signer)
			case c.want != nil && (got == nil || got.signer != c.want):
				t.Fatalf("trust = %+v, want signer %p", got, c.want)
			}
		})
	}
}

// #13.4: an untrusted signer is an error value carrying the certificate KeyInfo names,
// so a trust source can refresh on it (rollover); a broken signature by a configured
// certificate is not one.
func TestUnknownSignerError(t *testing.T) {
	cur, next, atk := samltest.DefaultIdP(), samltest.NextIdP(), samltest.AttackerIdP()
	noKeyInfo := func(b []byte) string {
		out, err := samltest.Edit(b, func(doc *etree.Document) {
			sig := samltest.SignatureOf(samltest.AssertionOf(doc))
			samltest.Detach(samltest.Child(sig, samltest.NSDSig, "KeyInfo"))
		})
		if err != nil {
			t.Fatal(err)
		}
		return samltest.Encode(out)
	}
	alteredSignedInfo := func(b []byte) string {
		out, err := samltest.Edit(b, func(doc *etree.Document) {
			sig := samltest.SignatureOf(samltest.AssertionOf(doc))
			sv := samltest.Child(sig, samltest.NSDSig, "SignatureValue")
			raw := []byte(sv.Text())
			raw[10] ^= 1 // still base64, no longer the IdP's signature
			sv.SetText(string(raw))
		})
		if err != nil {
			t.Fatal(err)
		}
		return samltest.Encode(out)
	}
	cases := []struct {
		name    string
		form    string
		unknown bool
		cert    *x509.Certificate // what the error carries
	}{
		{"rolled-over certificate not configured yet", genResponse(t, next, samltest.Options{}), true, next.Cert},
		{"attacker's clone of the real certificate", genResponse(t, atk, samltest.Options{}), true, atk.Cert},
		{"response signed by the next certificate", genResponse(t, next, samltest.Options{Sign: samltest.SignResponse}), true, next.Cert},
		{"unknown key, KeyInfo removed", noKeyInfo(next.MustResponse(t, samltest.Options{})), true, nil},
		{"configured certificate, signature altered", alteredSignedInfo(cur.MustResponse(t, samltest.Options{})), false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(genConfig(cur))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.ValidateResponse(context.Background(), c.form, samltest.RequestID)
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("err = %v, want ErrSignature", err)
			}
			var u *UnknownSignerError
			if got := errors.As(err, &u); got != c.unknown {
				t.Fatalf("errors.As(UnknownSignerError) = %v, want %v (err: %v)", got, c.unknown, err)
			}
			if !c.unknown {
				return
			}
			if (u.Certificate == nil) != (c.cert == nil) || c.cert != nil && !u.Certificate.Equal(c.cert) {
				t.Fatalf("Certificate = %v, want %v", u.Certificate, c.cert)
			}
			// Diagnose reports the same value.
			var du *UnknownSignerError
			found := false
			for _, ch := range s.Diagnose(context.Background(), c.form, samltest.RequestID).Failed() {
				found = found || errors.As(ch.Err, &du)
			}
			if !found {
				t.Fatal("Diagnose: no failed check carries the UnknownSignerError")
			}
		})
	}
	// The refresh it enables: once the next certificate is configured, the same
	// response validates.
	form := genResponse(t, next, samltest.Options{})
	cfg := genConfig(cur)
	cfg.IdP.Certificates = append(cfg.IdP.Certificates, next.Cert)
	mustValidate(t, cfg, form, samltest.RequestID)
}
