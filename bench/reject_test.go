package bench

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
)

// junk is input an attacker can post for free; rejecting it should cost little, and
// the cheaper the earlier the pipeline can tell.
type junk struct {
	name string
	xml  []byte
	form string
	want error // the sentinel ours must reject it with

	// crewjamAccepts marks input crewjam/saml v0.6.3 lets through: encoding/xml skips a
	// DOCTYPE, and entities that are declared but not used change nothing it reads.
	crewjamAccepts bool
}

func junkInputs(tb testing.TB) []junk {
	f := fixtures(tb)[0] // assertion-signed
	mk := func(name string, xml []byte, want error) junk { return junk{name: name, xml: xml, want: want} }
	sigValue := []byte("<SignatureValue>")
	i := bytes.Index(f.xml, sigValue) + len(sigValue)
	forged := bytes.Clone(f.xml)
	forged[i] ^= 'A' ^ 'B' // flips between A and B; any change breaks the RSA signature
	if forged[i] == f.xml[i] {
		tb.Fatal("SignatureValue not changed")
	}
	huge := bytes.Repeat([]byte("<a>"), 3<<20/4)
	js := []junk{
		// Bigger than the form-value limit: refused before decoding.
		{name: "oversized", xml: huge, want: sp.ErrMalformed},
		// An entity-expansion bomb in front of a genuine response: refused by the byte scan.
		{name: "doctype", crewjamAccepts: true, want: sp.ErrMalformed, xml: append([]byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>`), f.xml...)},
		// Well-formed XML that is not a SAML Response: refused by the shape check.
		mk("not_a_response", bytes.ReplaceAll(f.xml, []byte("samlp:Response"), []byte("samlp:LogoutResponse")), sp.ErrMalformed),
		// A SignatureValue that no trusted key made: one RSA verification, no digest.
		mk("forged_signature", forged, sp.ErrSignature),
		// Signed content changed after signing: RSA verification and the digest.
		mk("tampered", bytes.Replace(f.xml, []byte(samltest.UserDisplayName), []byte("Mallory Van"), 1), sp.ErrSignature),
	}
	for i := range js {
		js[i].form = base64.StdEncoding.EncodeToString(js[i].xml)
	}
	return js
}

// TestJunkIsRejected: every junk input is refused by ours with the expected kind, and by
// crewjam/saml, so BenchmarkReject times rejections, not accidents.
func TestJunkIsRejected(t *testing.T) {
	f := fixtures(t)[0]
	for _, j := range junkInputs(t) {
		t.Run(j.name, func(t *testing.T) {
			in := f
			in.xml, in.form = j.xml, j.form
			_, _, err := ours(t, in)()
			if !errors.Is(err, j.want) {
				t.Errorf("ours: got %v, want an error wrapping %v", err, j.want)
			}
			switch _, _, err := crewjam(t, in)(); {
			case err == nil && !j.crewjamAccepts:
				t.Errorf("crewjam accepted it")
			case err != nil && j.crewjamAccepts:
				t.Errorf("crewjam rejected it (%v); update crewjamAccepts", err)
			}
		})
	}
}

// BenchmarkReject measures what junk costs each library.
func BenchmarkReject(b *testing.B) {
	f := fixtures(b)[0]
	for _, j := range junkInputs(b) {
		for _, lib := range libraries[:2] { // ours, crewjam
			if lib.name == "crewjam" && j.crewjamAccepts {
				continue
			}
			b.Run(j.name+"/"+lib.name, func(b *testing.B) {
				in := f
				in.xml, in.form = j.xml, j.form
				validate := lib.make(b, in)
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := validate(); err == nil {
						b.Fatal("accepted junk")
					}
				}
			})
		}
	}
}
