package samltest

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Verify checks el's enveloped signature with goxmldsig alone, trusting only trusted,
// at time now. It is the controls' yardstick: "this part of a forged document is still
// cryptographically sound" — not a SAML validator (it knows nothing of SAML's rules).
// It returns the element goxmldsig says it verified.
func Verify(el *etree.Element, now time.Time, trusted ...*x509.Certificate) (*etree.Element, error) {
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: trusted})
	ctx.Clock = dsig.NewFakeClockAt(now)
	d, err := detach(el)
	if err != nil {
		return nil, err
	}
	return ctx.Validate(d)
}

// VerifyReference checks the signature sig (wherever it sits) over the element its
// Reference URI names (wherever that sits), the way a pure XML-DSig verifier that
// resolves IDs document-wide would: it copies the referenced element, puts a copy of sig
// into it and lets goxmldsig verify. A wrapping attack (XSW) is "real" exactly when this
// succeeds on the forged document while the SAML validator rejects it.
func VerifyReference(doc *etree.Document, sig *etree.Element, now time.Time, trusted ...*x509.Certificate) (*etree.Element, error) {
	ref := Find(sig, NSDSig, "Reference")
	if ref == nil {
		return nil, errors.New("samltest: signature has no Reference")
	}
	uri := ref.SelectAttrValue("URI", "")
	if len(uri) < 2 || uri[0] != '#' {
		return nil, fmt.Errorf("samltest: Reference URI %q is not a same-document ID", uri)
	}
	target := FindID(doc.Root(), uri[1:])
	if target == nil {
		return nil, fmt.Errorf("samltest: no element has ID %q", uri[1:])
	}
	return VerifyOver(target, sig, now, trusted...)
}

// VerifyOver checks signature sig over target, wherever either sits: a copy of target
// gets a copy of sig in the place Entra puts it, and goxmldsig verifies that.
func VerifyOver(target, sig *etree.Element, now time.Time, trusted ...*x509.Certificate) (*etree.Element, error) {
	for p := sig.Parent(); p != nil; p = p.Parent() {
		if p == target { // the signature already sits inside what it signs
			return Verify(target, now, trusted...)
		}
	}
	t, err := detach(target)
	if err != nil {
		return nil, err
	}
	RemoveSignature(t)
	t.InsertChildAt(signaturePosition(t), sig.Copy())
	return Verify(t, now, trusted...)
}

// Digest is the base64 SHA-256 digest of el as an enveloped exc-c14n Reference to it
// would record: el without its direct-child Signature, canonicalized on its own.
func Digest(el *etree.Element) string {
	d, err := detach(el)
	if err != nil {
		panic(err)
	}
	RemoveSignature(d)
	c, err := canonicalizer(AlgExcC14N).Canonicalize(d)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(c)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// XMLSec1 runs `xmlsec1 --verify` on doc with cert as the only trusted key, declaring ID
// attributes on Response and Assertion as a real deployment would. It checks the first
// Signature inside the element whose ID is startID (the whole document when empty). It reports ok=false
// with xmlsec1's output when verification fails; err is set only when xmlsec1 cannot be
// run at all (then tests skip, saying how to install it: apt-get install xmlsec1).
func XMLSec1(doc []byte, cert *x509.Certificate, startID string) (ok bool, output string, err error) {
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		return false, "", err
	}
	dir, err := os.MkdirTemp("", "samltest-xmlsec1")
	if err != nil {
		return false, "", err
	}
	defer os.RemoveAll(dir)
	docPath := filepath.Join(dir, "doc.xml")
	certPath := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(docPath, doc, 0o600); err != nil {
		return false, "", err
	}
	if err := os.WriteFile(certPath, []byte(CertPEM(cert)), 0o600); err != nil {
		return false, "", err
	}
	args := []string{"--verify", "--pubkey-cert-pem", certPath,
		"--id-attr:ID", NSProtocol + ":Response",
		"--id-attr:ID", NSAssertion + ":Assertion"}
	if startID != "" {
		args = append(args, "--node-id", startID)
	}
	out, runErr := exec.Command(bin, append(args, docPath)...).CombinedOutput()
	return runErr == nil, string(out), nil
}
