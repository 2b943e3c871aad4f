package certs

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
)

// KeyPair is a service provider's private key and the certificate that publishes its
// public half (in SP metadata, for signed AuthnRequests and for encrypted assertions).
type KeyPair struct {
	Key         crypto.Signer
	Certificate *x509.Certificate
}

// Thumbprint is the SHA-1 fingerprint of c in upper-case hex, as Entra shows it.
// SHA-1 is used here only to name a certificate the way the Entra portal does, never to
// decide trust.
func Thumbprint(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	sum := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Fingerprint256 is the SHA-256 fingerprint of c in upper-case hex without separators,
// the form to log or pin when SHA-1 thumbprints are not accepted.
func Fingerprint256(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	sum := sha256.Sum256(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
