package certs

import (
	"errors"
	"testing"
)

// FuzzParse: Parse never panics, never returns an empty success, and every failure is
// one of the documented kinds. Seeds are the recorded Entra certificates in several
// forms plus a few hand-made near misses.
func FuzzParse(f *testing.F) {
	for _, c := range recordedCerts(f) {
		for _, form := range []string{"recorded file", "PEM CRLF", "PEM squeezed onto one line", "base64 64-column LF", "DER (Entra Certificate (Raw))"} {
			f.Add(forms(c)[form])
		}
	}
	for _, s := range []string{
		"", "-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
		"-----BEGIN X-----\n-----END X-----", "<EntityDescriptor/>", "34:64:C5:BD:D2:BE:7F:2B:61:12:E2:F0:8E:9C:00:24:E3:3D:9F:E0",
		"MII=", "\x30\x82\x01\x00", "-----BEGIN-----END", "-----BEGIN CERTIFICATE----------END CERTIFICATE-----",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := Parse(data)
		if err != nil {
			if cs != nil {
				t.Fatalf("certificates returned with error %v", err)
			}
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNotCertificate) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("undocumented error kind: %v", err)
			}
			return
		}
		if len(cs) == 0 {
			t.Fatal("no certificates and no error")
		}
		// Whatever form it came in, the same certificates come back from their DER.
		var der []byte
		for _, c := range cs {
			if c == nil || len(Thumbprint(c)) != 40 {
				t.Fatalf("bad certificate %v", c)
			}
			der = append(der, c.Raw...)
		}
		again, err := Parse(der)
		if err != nil || len(again) != len(cs) {
			t.Fatalf("DER of %d parsed certificates: %d back, %v", len(cs), len(again), err)
		}
		for i := range cs {
			if Thumbprint(again[i]) != Thumbprint(cs[i]) {
				t.Fatalf("certificate %d changed on the DER round trip", i)
			}
		}
	})
}
