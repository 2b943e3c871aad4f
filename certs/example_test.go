package certs_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/ssokit/saml/certs"
)

func ExampleParse() {
	// A development pair stands in for the "Certificate (Base64)" file Entra offers.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kp, err := certs.GenerateKeyPair("idp.example", now, 24*time.Hour)
	if err != nil {
		panic(err)
	}
	cs, err := certs.Parse(kp.CertificatePEM())
	if err != nil {
		panic(err)
	}
	fmt.Println(len(cs), cs[0].Subject.CommonName, len(certs.Thumbprint(cs[0])))

	// What admins paste by mistake gets an error that says so.
	_, err = certs.Parse([]byte("1528A6B85AC53680B4B095C69AFD779CD65C7837"))
	fmt.Println(errors.Is(err, certs.ErrNotCertificate))
	// Output:
	// 1 idp.example 40
	// true
}

func ExampleCheckExpiry() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kp, err := certs.GenerateKeyPair("idp.example", now, 90*24*time.Hour)
	if err != nil {
		panic(err)
	}
	later := now.Add(80 * 24 * time.Hour)
	err = certs.CheckExpiry(kp.Certificate, later, 30*24*time.Hour)
	fmt.Println(errors.Is(err, certs.ErrExpiresSoon))
	// Output: true
}

func ExampleLoadKeyPair() {
	kp, err := certs.GenerateKeyPair("sp.example", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 365*24*time.Hour)
	if err != nil {
		panic(err)
	}
	keyPEM, err := kp.KeyPEM()
	if err != nil {
		panic(err)
	}
	// In production these bytes come from files or a secret store.
	loaded, err := certs.LoadKeyPair(kp.CertificatePEM(), keyPEM)
	if err != nil {
		panic(err)
	}
	fmt.Println(loaded.Certificate.Subject.CommonName)
	// Output: sp.example
}
