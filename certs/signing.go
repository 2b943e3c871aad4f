package certs

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
)

// MaxSigners bounds how many certificates one IdP may be trusted with. During a rollover
// Entra lists two; a paste or metadata with dozens is a mistake or an attack, and every
// trusted certificate is one more key tried on each login.
const MaxSigners = 16

// ParseSigning is Parse for certificates that will be trusted to sign SAML messages (an
// IdP's "Certificate (Base64)", the certificates of its metadata): it reads data with
// Parse, then refuses what must never be pinned as a signer (see CheckSigning).
func ParseSigning(data []byte) ([]*x509.Certificate, error) {
	cs, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := CheckSigning(cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// CheckSigning refuses a set of certificates that would make a certificate authority's
// key a SAML signer. A SAML IdP signs with a plain certificate pinned by its key; it
// never needs its chain, and a pasted chain ("full chain" export, .p7b converted to
// PEM) would trust every key in it: the CA could then sign logins for anyone.
//
// A certificate whose key signed another certificate of the set is refused, whatever its
// basicConstraints say (a version-1 root has none). One that says CA=true is refused
// when any of these holds:
//
//   - it issued another certificate of the set (a chain was pasted);
//   - it was issued by someone else (an intermediate CA);
//   - its key usage allows signing certificates (keyCertSign: a real CA).
//
// A self-signed CA=true certificate alone, without keyCertSign, is accepted: that is what
// `openssl req -x509` makes by default, and what SimpleSAMLphp, pysaml2, Lasso and many
// hand-built IdPs sign with. The error names the leaf to paste instead, when there is one.
// More than MaxSigners certificates are refused too.
func CheckSigning(cs []*x509.Certificate) error {
	if len(cs) > MaxSigners {
		return &InputError{Kind: ErrNotSigning, Found: fmt.Sprintf("%d certificates", len(cs)),
			Expected: fmt.Sprintf("the IdP's signing certificate (at most %d during a rollover)", MaxSigners),
			Hint:     "paste only the IdP's SAML signing certificate, not a bundle of certificates"}
	}
	budget := maxIssuerChecks
	for _, c := range cs {
		var why string
		switch {
		case !c.BasicConstraintsValid || !c.IsCA:
			// Without basicConstraints (a version-1 or legacy root) a certificate still
			// issued whatever its key signed: a pasted chain all the same.
			signed, err := signedAnother(c, cs, &budget)
			if err != nil {
				return err
			}
			if !signed {
				continue
			}
			why = "it issued another certificate you pasted (a certificate chain was pasted)"
		case issuedAnother(c, cs):
			why = "it issued another certificate you pasted (a certificate chain was pasted)"
		case !bytes.Equal(c.RawIssuer, c.RawSubject):
			why = "it is an intermediate certificate authority"
		case c.KeyUsage&x509.KeyUsageCertSign != 0:
			why = "it is a certificate authority that signs certificates"
		default:
			continue // self-signed, as openssl req -x509 makes it: a signer, not an authority
		}
		hint := "paste only the IdP's SAML signing certificate, not its chain"
		if leaves := leaves(cs); len(leaves) > 0 {
			var names []string
			for _, l := range leaves {
				names = append(names, describe(l))
			}
			hint = "paste only the signing certificate " + strings.Join(names, " and ") + ", without the certificates of its chain"
		}
		return &InputError{Kind: ErrNotSigning,
			Found:    "the certificate authority " + describe(c) + ": " + why,
			Expected: "the IdP's SAML signing certificate alone (in Entra: \"Certificate (Base64)\" under \"SAML Certificates\")",
			Hint:     hint}
	}
	return nil
}

// issuedAnother reports whether another certificate of cs names ca as its issuer. Names
// are enough to recognise a chain for the message; no signature is checked (pinning
// trusts keys, not chains).
func issuedAnother(ca *x509.Certificate, cs []*x509.Certificate) bool {
	for _, o := range cs {
		if o != ca && !bytes.Equal(o.Raw, ca.Raw) && bytes.Equal(o.RawIssuer, ca.RawSubject) {
			return true
		}
	}
	return false
}

// maxIssuerChecks bounds the signature checks CheckSigning makes for one set: an
// Entra rollover (two or three certificates of one subject) needs up to six; six
// certificates of one subject need 30.
const maxIssuerChecks = 32

// signedAnother reports whether issuer's key signed another certificate of cs that
// names it as issuer. Names alone would not do here: Entra's current and next
// certificates share one subject and each is self-signed, so each names the other.
// Only an RSA key can verify a SAML signature (and so be a signer), so only those are
// checked, each check against budget: a set built to cost many checks is refused.
func signedAnother(issuer *x509.Certificate, cs []*x509.Certificate, budget *int) (bool, error) {
	if _, ok := issuer.PublicKey.(*rsa.PublicKey); !ok {
		return false, nil
	}
	for _, o := range cs {
		if o == issuer || bytes.Equal(o.Raw, issuer.Raw) || !bytes.Equal(o.RawIssuer, issuer.RawSubject) {
			continue
		}
		if *budget--; *budget < 0 {
			return false, &InputError{Kind: ErrNotSigning, Found: "several certificates that name one another as issuer (" + describe(issuer) + " among them)",
				Expected: "the IdP's SAML signing certificate alone, or the few of a rollover",
				Hint:     "paste only the IdP's SAML signing certificate (in Entra: \"Certificate (Base64)\" under \"SAML Certificates\")"}
		}
		if issuer.CheckSignature(o.SignatureAlgorithm, o.RawTBSCertificate, o.Signature) == nil {
			return true, nil
		}
	}
	return false, nil
}

// leaves are the certificates of cs that are not certificate authorities.
func leaves(cs []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range cs {
		if !(c.BasicConstraintsValid && c.IsCA) {
			out = append(out, c)
		}
	}
	return out
}

// describe names a certificate the way the Entra portal lists it: subject and thumbprint.
func describe(c *x509.Certificate) string {
	name := c.Subject.CommonName
	if name == "" {
		name = c.Subject.String()
	}
	return fmt.Sprintf("%q (thumbprint %s)", name, Thumbprint(c))
}
