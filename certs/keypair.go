package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

const keyExpected = `a PEM private key: "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (SEC1), RSA or ECDSA, unencrypted`

// LoadKeyPair reads a service provider's certificate (any form Parse accepts; the first
// certificate is the SP's own) and its PEM private key, and checks that they belong
// together, so a mismatched pair fails at start-up rather than at the IdP.
func LoadKeyPair(certPEM, keyPEM []byte) (*KeyPair, error) {
	cs, err := Parse(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	cert := cs[0]
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, &InputError{Kind: ErrKey,
			Found:    fmt.Sprintf("a private key that does not belong to the certificate %q (thumbprint %s)", cert.Subject.String(), Thumbprint(cert)),
			Expected: "the private key of that certificate",
			Hint:     "the certificate and key files are from different pairs; load the key that was generated with this certificate"}
	}
	return &KeyPair{Key: key, Certificate: cert}, nil
}

func parsePrivateKey(keyPEM []byte) (crypto.Signer, error) {
	rest := keyPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, &InputError{Kind: ErrKey, Found: "no PEM private key block", Expected: keyExpected}
		}
		var key any
		var err error
		switch block.Type {
		case "EC PARAMETERS": // openssl ecparam -genkey writes these before the key
			continue
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			if _, encrypted := block.Headers["DEK-Info"]; encrypted {
				return nil, encryptedKeyErr(block.Type)
			}
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			if _, encrypted := block.Headers["DEK-Info"]; encrypted {
				return nil, encryptedKeyErr(block.Type)
			}
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, encryptedKeyErr(block.Type)
		default:
			if strings.Contains(block.Type, "CERTIFICATE") {
				continue // a combined cert+key file: the certificate is read separately
			}
			return nil, &InputError{Kind: ErrKey, Found: fmt.Sprintf("a PEM %q block", block.Type), Expected: keyExpected}
		}
		if err != nil {
			return nil, &InputError{Kind: ErrKey, Found: fmt.Sprintf("a PEM %q block that does not parse", block.Type), Expected: keyExpected, Err: err}
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			if k.N.BitLen() < 2048 {
				return nil, &InputError{Kind: ErrKey, Found: fmt.Sprintf("a %d-bit RSA key", k.N.BitLen()), Expected: "an RSA key of at least 2048 bits, or ECDSA"}
			}
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		default:
			return nil, &InputError{Kind: ErrKey, Found: fmt.Sprintf("a %T key", key), Expected: "an RSA or ECDSA key (XML signatures in SAML use these)"}
		}
	}
}

func encryptedKeyErr(label string) error {
	return &InputError{Kind: ErrKey, Found: fmt.Sprintf("an encrypted private key (PEM %q)", label), Expected: keyExpected,
		Hint: "decrypt it first, e.g. `openssl pkey -in key.pem -out key-plain.pem`, and keep the result in your secret store"}
}

// GenerateKeyPair makes a self-signed RSA-2048 certificate and key for development and
// tests, valid from now for validFor. Production SPs should load a managed pair with
// LoadKeyPair so the certificate registered at the IdP survives restarts.
func GenerateKeyPair(commonName string, now time.Time, validFor time.Duration) (*KeyPair, error) {
	if validFor <= 0 {
		return nil, errors.New("certs: GenerateKeyPair: validFor must be positive")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("certs: generate RSA key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certs: generate serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.UTC().Truncate(time.Second),
		NotAfter:     now.Add(validFor).UTC().Truncate(time.Second),
		// Signing AuthnRequests and receiving encrypted assertions: both uses in one key.
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("certs: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: read back certificate: %w", err)
	}
	return &KeyPair{Key: key, Certificate: cert}, nil
}

// CertificatePEM is the certificate as a PEM "CERTIFICATE" block, the form to upload to
// an IdP (Entra: "Token encryption" or "Verification certificates").
func (kp *KeyPair) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Certificate.Raw})
}

// KeyPEM is the private key as an unencrypted PKCS#8 "PRIVATE KEY" block. Keep it secret.
func (kp *KeyPair) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		return nil, fmt.Errorf("certs: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
