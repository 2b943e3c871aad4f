package xmldsig

import (
	"bytes"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"strings"

	"github.com/beevik/etree"
)

// Verified is a signature that passed.
type Verified struct {
	// Element is the signed element the digest covered: a detached copy, without the
	// enveloped Signature, declaring every namespace that was in scope where it sat, so
	// it reads exactly as it did in the document. Read every signed fact from it.
	Element *etree.Element
	// Certificate is the trusted certificate whose key verified the signature.
	Certificate     *x509.Certificate
	SignatureMethod string
	DigestMethod    string
}

// Verify checks the enveloped signature sig of el against the trusted certificates.
// sig must be a direct child of el; it must reference el by its ID attribute and
// nothing else; SignedInfo, Reference, transforms and algorithms must follow the
// profile. The caller ensures IDs are unique in the document.
func Verify(el, sig *etree.Element, trusted []*x509.Certificate, p Profile) (*Verified, error) {
	if sig.Parent() != el {
		return nil, fail(ErrProfile, "the Signature is not a direct child of the element it signs")
	}
	id := attr(el, "ID")
	if id == "" {
		return nil, fail(ErrProfile, "the signed element <%s> has no ID", el.Tag)
	}

	// Signature: SignedInfo, SignatureValue, KeyInfo? — nothing else (no Object).
	kids, err := elementChildren(sig)
	if err != nil {
		return nil, err
	}
	if len(kids) < 2 || len(kids) > 3 || !is(kids[0], Namespace, "SignedInfo") || !is(kids[1], Namespace, "SignatureValue") ||
		(len(kids) == 3 && !is(kids[2], Namespace, "KeyInfo")) {
		return nil, fail(ErrProfile, "a Signature must hold SignedInfo, SignatureValue and at most a KeyInfo, in that order")
	}
	signedInfo, sigValueEl := kids[0], kids[1]
	var keyInfo *etree.Element
	if len(kids) == 3 {
		keyInfo = kids[2]
	}

	// SignedInfo is canonicalized before the signature is checked, so bound its size
	// first: a profile-conforming one has about a dozen elements.
	if n := countElements(signedInfo, maxSignedInfoElements+1); n > maxSignedInfoElements {
		return nil, fail(ErrProfile, "SignedInfo has more than %d elements", maxSignedInfoElements)
	}

	// Read the profile from SignedInfo as it sits in the document, then canonicalize
	// that same element into the signature hash: the values acted on and the bytes the
	// signature covers come from one tree.
	siPrefixes, err := c14nPrefixList(signedInfo)
	if err != nil {
		return nil, err
	}
	ref, err := readSignedInfo(signedInfo, siPrefixes, p)
	if err != nil {
		return nil, err
	}
	if ref.uri != "#"+id {
		return nil, fail(ErrProfile, "the Reference URI is %q, expected %q (the ID of the signed element)", ref.uri, "#"+id)
	}
	h := ref.sigHash.New()
	if err := canonicalizeTo(h, signedInfo, nil, siPrefixes, budget(signedInfo)); err != nil {
		return nil, canonicalFailure(signedInfo, err)
	}
	sum := h.Sum(nil)

	sigValue, err := base64.StdEncoding.DecodeString(stripSpace(sigValueEl.Text()))
	if err != nil || len(sigValue) == 0 {
		return nil, fail(ErrProfile, "SignatureValue is not base64")
	}
	// KeyInfo only orders the trusted certificates (and names the stranger in an
	// error), so its certificate is decoded only when there is an order to choose.
	candidates := trusted
	if len(trusted) > 1 {
		candidates = hintFirst(trusted, keyInfoCertificate(keyInfo))
	}
	var signer *x509.Certificate
	for _, c := range candidates {
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			continue
		}
		if rsa.VerifyPKCS1v15(pub, ref.sigHash, sum, sigValue) == nil {
			signer = c
			break
		}
	}
	if signer == nil {
		e := fail(ErrUntrusted, "no configured certificate verifies the signature")
		e.KeyInfoCert = keyInfoCertificate(keyInfo)
		return nil, e
	}

	// Digest the element without its enveloped Signature, streaming its canonical form
	// into the hash under a budget, so a crafted element that canonicalizes to far more
	// than it weighs is refused at a cost bounded by its size.
	dh := ref.digestHash.New()
	if err := canonicalizeTo(dh, el, sig, ref.prefixes, budget(el)); err != nil {
		return nil, canonicalFailure(el, err)
	}
	if subtle.ConstantTimeCompare(dh.Sum(nil), ref.digest) != 1 {
		return nil, fail(ErrDigest, "the digest of <%s> does not match: it was changed after signing", el.Tag)
	}
	// Only now copy it out, without the Signature, for the caller to read.
	idx := sig.Index()
	el.RemoveChildAt(idx)
	signed := detach(el)
	el.InsertChildAt(idx, sig)
	return &Verified{Element: signed, Certificate: signer, SignatureMethod: ref.sigAlg, DigestMethod: ref.digestAlg}, nil
}

// KeyInfoCertificate returns the DER certificate a Signature's KeyInfo carries, for
// reports; nil when there is none or it is not base64.
func KeyInfoCertificate(sig *etree.Element) []byte {
	for _, k := range sig.ChildElements() {
		if is(k, Namespace, "KeyInfo") {
			return keyInfoCertificate(k)
		}
	}
	return nil
}

func keyInfoCertificate(keyInfo *etree.Element) []byte {
	if keyInfo == nil {
		return nil
	}
	for _, d := range keyInfo.ChildElements() {
		if !is(d, Namespace, "X509Data") {
			continue
		}
		for _, c := range d.ChildElements() {
			if is(c, Namespace, "X509Certificate") {
				der, err := base64.StdEncoding.DecodeString(stripSpace(c.Text()))
				if err == nil && len(der) > 0 {
					return der
				}
			}
		}
	}
	return nil
}

// hintFirst orders trusted certificates so the one KeyInfo names, if any, is tried
// first. KeyInfo never adds a certificate.
func hintFirst(trusted []*x509.Certificate, hint []byte) []*x509.Certificate {
	if hint == nil || len(trusted) < 2 {
		return trusted
	}
	for i, c := range trusted {
		if bytes.Equal(c.Raw, hint) {
			out := make([]*x509.Certificate, 0, len(trusted))
			out = append(out, c)
			out = append(out, trusted[:i]...)
			return append(out, trusted[i+1:]...)
		}
	}
	return trusted
}

// canonicalFailure explains a canonicalization that was refused.
func canonicalFailure(el *etree.Element, err error) error {
	if err == errBudget {
		return fail(ErrProfile, "the canonical form of <%s> is more than %d times its %d bytes in the document: it is built to make canonicalization expensive",
			el.Tag, canonicalRatio, documentSize(el))
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	return fail(ErrProfile, "cannot canonicalize <%s>: %v", el.Tag, err)
}

// detach copies el out of its document, declaring on the copy every namespace in scope
// from its ancestors that it does not declare itself, so the copy means what el meant.
func detach(el *etree.Element) *etree.Element {
	cp := el.Copy()
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			isDecl := a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")
			if isDecl && !declares(cp, a.Space, a.Key) {
				cp.Attr = append(cp.Attr, a)
			}
		}
	}
	return cp
}

func declares(el *etree.Element, space, key string) bool {
	for _, a := range el.Attr {
		if a.Space == space && a.Key == key {
			return true
		}
	}
	return false
}

func attr(el *etree.Element, key string) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value
		}
	}
	return ""
}

func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// elementChildren returns el's child elements, refusing text other than whitespace.
func elementChildren(el *etree.Element) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			out = append(out, t)
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, fail(ErrProfile, "unexpected text in <%s>", el.Tag)
			}
		}
	}
	return out, nil
}

func stripSpace(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

const maxSignedInfoElements = 16

// countElements counts el and its descendant elements, stopping at limit.
func countElements(el *etree.Element, limit int) int {
	n := 1
	for _, c := range el.ChildElements() {
		if n >= limit {
			break
		}
		n += countElements(c, limit-n)
	}
	return n
}
