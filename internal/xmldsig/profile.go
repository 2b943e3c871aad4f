// Package xmldsig verifies enveloped XML signatures under the strict profile SAML needs
// (the one OpenSAML's SAMLSignatureProfileValidator enforces), with the standard
// library's RSA and its own exclusive canonicalization, held byte-for-byte equal to
// goxmldsig's by tests and a differential fuzz target. It trusts only the certificates
// it is given: KeyInfo is read as a hint for which of them to try first.
//
// Unlike dsig.ValidationContext it canonicalizes each element once, in place and
// straight into the hash, and does not re-parse what it verified. Its bound is not a
// traversal budget (big valid assertions pass) but the canonical output: at most
// canonicalRatio times the element's size in the document, plus canonicalSlack, so a
// crafted element cannot make canonicalization cost more than its size allows.
package xmldsig

import (
	"crypto"
	_ "crypto/sha1" // only behind Profile.AllowSHA1
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"fmt"
)

// XML namespaces and algorithm identifiers of the profile.
const (
	Namespace    = "http://www.w3.org/2000/09/xmldsig#"
	NamespaceExc = "http://www.w3.org/2001/10/xml-exc-c14n#"

	ExcC14N      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	EnvelopedSig = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

	RSASHA1   = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	RSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	RSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	RSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"

	SHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

// Profile is what a signature may use beyond the always-allowed set.
type Profile struct {
	// AllowSHA1 admits RSA-SHA1 and SHA-1 digests.
	AllowSHA1 bool
}

func (p Profile) signatureHash(alg string) (crypto.Hash, bool) {
	switch alg {
	case RSASHA256:
		return crypto.SHA256, true
	case RSASHA384:
		return crypto.SHA384, true
	case RSASHA512:
		return crypto.SHA512, true
	case RSASHA1:
		return crypto.SHA1, p.AllowSHA1
	}
	return 0, false
}

func (p Profile) digestHash(alg string) (crypto.Hash, bool) {
	switch alg {
	case SHA256:
		return crypto.SHA256, true
	case SHA384:
		return crypto.SHA384, true
	case SHA512:
		return crypto.SHA512, true
	case SHA1:
		return crypto.SHA1, p.AllowSHA1
	}
	return 0, false
}

// Kinds of verification failure; the *Error carries the detail.
var (
	// ErrProfile: the signature's structure, placement, reference or algorithms are
	// outside the profile.
	ErrProfile = errors.New("signature outside the SAML profile")
	// ErrAlgorithm: an algorithm that is not allowed (e.g. SHA-1 without opt-in).
	ErrAlgorithm = errors.New("signature algorithm not allowed")
	// ErrUntrusted: no trusted certificate verifies the signature.
	ErrUntrusted = errors.New("signature not made by a trusted certificate")
	// ErrDigest: the signature is valid but the signed element was changed.
	ErrDigest = errors.New("signed content was modified")
)

// Error is a verification failure.
type Error struct {
	Kind   error
	Reason string
	// KeyInfoCert is the DER certificate the signature's KeyInfo named, if any. It is
	// untrusted information, useful to tell an admin which certificate actually signed.
	KeyInfoCert []byte
}

func (e *Error) Error() string { return e.Reason }
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}
