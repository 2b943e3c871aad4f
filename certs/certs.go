package certs

import (
	"crypto"
	"crypto/x509"
	"errors"
)

// KeyPair is a service provider's private key and the certificate that publishes its
// public half (in SP metadata, for signed AuthnRequests and for encrypted assertions).
type KeyPair struct {
	Key         crypto.Signer
	Certificate *x509.Certificate
}

// Parse reads one or more X.509 certificates from PEM, bare base64 or DER.
func Parse(data []byte) ([]*x509.Certificate, error) {
	return nil, errors.New("certs: not implemented")
}

// Thumbprint is the SHA-1 fingerprint of c in upper-case hex, as Entra shows it.
func Thumbprint(c *x509.Certificate) string {
	return ""
}
