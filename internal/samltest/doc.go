// Package samltest builds Entra-shaped SAML Responses signed with this repository's own
// test keys, and gives tests the tools to take them apart again (find by namespace and
// local name, move, copy, wrap, re-sign with an attacker key) and to prove that a forged
// document is still cryptographically sound where an attack needs it to be.
//
// Output is deterministic: the same IdP key, Options and fixed clock always give the same
// bytes (RSA PKCS#1 v1.5 signatures are deterministic). Encryption is the exception:
// XML Encryption draws random keys and IVs.
//
//	idp := samltest.DefaultIdP()
//	xml, err := idp.Response(samltest.Options{Sign: samltest.SignBoth})
//	form := samltest.Encode(xml) // what the browser posts as SAMLResponse
//
// The keys live in testdata/ beside this file; `go generate ./internal/samltest` writes
// the fixtures in the repository's testdata/ (see testdata/README.md there).
package samltest
