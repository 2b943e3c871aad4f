package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"embed"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// The PEM files were made once by `go run ./gen -keys` and are committed: they are this
// project's own throwaway keys, not anyone's real credentials.
//
//go:embed testdata/*.pem
var keyFiles embed.FS

// Names of the embedded key pairs (testdata/<name>.key.pem and testdata/<name>.cert.pem).
const (
	keyIdP      = "idp"      // the tenant's signing certificate
	keyIdPNext  = "idp-next" // the same tenant's next certificate (rollover)
	keyOther    = "other"    // another Entra tenant, a perfectly valid IdP of its own
	keyAttacker = "attacker" // someone who holds no trusted key at all
	keySP       = "sp"       // the service provider's encryption/signing key
)

// KeyNames lists every key pair the generator makes with -keys.
var KeyNames = []string{keyIdP, keyIdPNext, keyOther, keyAttacker, keySP}

// Pair is a private key and its self-signed certificate.
type Pair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

var (
	pairsOnce sync.Once
	pairs     map[string]Pair
	pairsErr  error
)

func loadPair(name string) Pair {
	pairsOnce.Do(func() {
		pairs = map[string]Pair{}
		for _, n := range KeyNames {
			p, err := readPair(n)
			if err != nil {
				pairsErr = err
				return
			}
			pairs[n] = p
		}
	})
	if pairsErr != nil {
		// The files are embedded at build time, so this is a broken checkout, not input.
		panic("samltest: " + pairsErr.Error())
	}
	return pairs[name]
}

func readPair(name string) (Pair, error) {
	kb, err := keyFiles.ReadFile("testdata/" + name + ".key.pem")
	if err != nil {
		return Pair{}, err
	}
	cb, err := keyFiles.ReadFile("testdata/" + name + ".cert.pem")
	if err != nil {
		return Pair{}, err
	}
	kblock, _ := pem.Decode(kb)
	cblock, _ := pem.Decode(cb)
	if kblock == nil || cblock == nil {
		return Pair{}, fmt.Errorf("%s: no PEM block", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(kblock.Bytes)
	if err != nil {
		return Pair{}, fmt.Errorf("%s key: %w", name, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return Pair{}, fmt.Errorf("%s key: not RSA", name)
	}
	c, err := x509.ParseCertificate(cblock.Bytes)
	if err != nil {
		return Pair{}, fmt.Errorf("%s cert: %w", name, err)
	}
	return Pair{Key: rk, Cert: c}, nil
}

// CertPEM returns the embedded certificate of a key pair as PEM text, the form an Entra
// admin pastes as "Certificate (Base64)".
func CertPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// NewPair makes a fresh RSA-2048 key and a self-signed certificate for it, valid from
// 2000 to 2099 so that no fixed test clock ever falls outside it. Used by the generator
// (with -keys) and by tests that need a key nobody trusts.
func NewPair(commonName string, serial int64) (Pair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Pair{}, err
	}
	return selfSign(key, &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	})
}

// Clone makes a certificate for key that copies template's subject, issuer, serial and
// validity: the "clone certificate" move of certificate-faking attacks (catalog #21). It
// looks like the IdP's certificate to a human, but its public key is the attacker's.
func Clone(template *x509.Certificate, key *rsa.PrivateKey) (*x509.Certificate, error) {
	t := &x509.Certificate{
		SerialNumber: template.SerialNumber,
		Subject:      template.Subject,
		NotBefore:    template.NotBefore,
		NotAfter:     template.NotAfter,
		KeyUsage:     template.KeyUsage,
	}
	p, err := selfSign(key, t)
	return p.Cert, err
}

func selfSign(key *rsa.PrivateKey, t *x509.Certificate) (Pair, error) {
	der, err := x509.CreateCertificate(rand.Reader, t, t, &key.PublicKey, key)
	if err != nil {
		return Pair{}, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Key: key, Cert: c}, nil
}

// EncodePair returns the PEM forms of p (PKCS#8 key, certificate).
func EncodePair(p Pair) (keyPEM, certPEM []byte, err error) {
	kder, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Cert.Raw}), nil
}
