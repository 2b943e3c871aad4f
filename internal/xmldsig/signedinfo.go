package xmldsig

import (
	"crypto"
	"encoding/base64"

	"github.com/beevik/etree"
)

// reference is what SignedInfo commits to.
type reference struct {
	uri        string
	sigAlg     string
	sigHash    crypto.Hash
	digestAlg  string
	digestHash crypto.Hash
	digest     []byte
	prefixes   string // InclusiveNamespaces PrefixList of the exc-c14n transform
}

// c14nPrefixList reads the canonicalization of SignedInfo (which must be exclusive
// C14N) before it is canonicalized; readSignedInfo checks the same on the canonical copy.
func c14nPrefixList(signedInfo *etree.Element) (string, error) {
	for _, c := range signedInfo.ChildElements() {
		if is(c, Namespace, "CanonicalizationMethod") {
			return excMethod(c, "CanonicalizationMethod")
		}
	}
	return "", fail(ErrProfile, "SignedInfo has no CanonicalizationMethod")
}

// excMethod checks an exclusive-C14N method element and returns its PrefixList.
func excMethod(m *etree.Element, what string) (string, error) {
	if alg := attr(m, "Algorithm"); alg != ExcC14N {
		return "", fail(ErrAlgorithm, "%s %q is not allowed, expected exclusive C14N %q", what, alg, ExcC14N)
	}
	kids, err := elementChildren(m)
	if err != nil {
		return "", err
	}
	switch {
	case len(kids) == 0:
		return "", nil
	case len(kids) == 1 && is(kids[0], NamespaceExc, "InclusiveNamespaces") && len(kids[0].ChildElements()) == 0:
		return attr(kids[0], "PrefixList"), nil
	}
	return "", fail(ErrProfile, "%s may hold only an InclusiveNamespaces element", what)
}

func readSignedInfo(si *etree.Element, siPrefixes string, p Profile) (*reference, error) {
	kids, err := elementChildren(si)
	if err != nil {
		return nil, err
	}
	if len(kids) != 3 || !is(kids[0], Namespace, "CanonicalizationMethod") || !is(kids[1], Namespace, "SignatureMethod") {
		if n := countRefs(kids); n != 1 {
			return nil, fail(ErrProfile, "SignedInfo must hold exactly one Reference, found %d", n)
		}
		return nil, fail(ErrProfile, "SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference, in that order")
	}
	if !is(kids[2], Namespace, "Reference") {
		return nil, fail(ErrProfile, "SignedInfo must hold exactly one Reference")
	}
	if pl, err := excMethod(kids[0], "CanonicalizationMethod"); err != nil {
		return nil, err
	} else if pl != siPrefixes {
		return nil, fail(ErrProfile, "CanonicalizationMethod changed during canonicalization")
	}
	r := &reference{sigAlg: attr(kids[1], "Algorithm")}
	var ok bool
	if r.sigHash, ok = p.signatureHash(r.sigAlg); !ok {
		return nil, fail(ErrAlgorithm, "SignatureMethod %q is not allowed (RSA-SHA256/384/512; SHA-1 only with InsecureAllowSHA1)", r.sigAlg)
	}
	if len(kids[1].ChildElements()) != 0 {
		return nil, fail(ErrProfile, "SignatureMethod may not have parameters")
	}

	ref := kids[2]
	r.uri = attr(ref, "URI")
	rk, err := elementChildren(ref)
	if err != nil {
		return nil, err
	}
	if len(rk) != 3 || !is(rk[0], Namespace, "Transforms") || !is(rk[1], Namespace, "DigestMethod") || !is(rk[2], Namespace, "DigestValue") {
		return nil, fail(ErrProfile, "Reference must hold Transforms, DigestMethod and DigestValue, in that order")
	}
	tk, err := elementChildren(rk[0])
	if err != nil {
		return nil, err
	}
	if len(tk) != 2 || !is(tk[0], Namespace, "Transform") || !is(tk[1], Namespace, "Transform") ||
		attr(tk[0], "Algorithm") != EnvelopedSig || len(tk[0].ChildElements()) != 0 {
		return nil, fail(ErrProfile, "Transforms must be exactly enveloped-signature then exclusive C14N")
	}
	if r.prefixes, err = excMethod(tk[1], "Transform"); err != nil {
		return nil, err
	}
	r.digestAlg = attr(rk[1], "Algorithm")
	if r.digestHash, ok = p.digestHash(r.digestAlg); !ok {
		return nil, fail(ErrAlgorithm, "DigestMethod %q is not allowed (SHA-256/384/512; SHA-1 only with InsecureAllowSHA1)", r.digestAlg)
	}
	if len(rk[1].ChildElements()) != 0 || len(rk[2].ChildElements()) != 0 {
		return nil, fail(ErrProfile, "DigestMethod and DigestValue may not have children")
	}
	r.digest, err = base64.StdEncoding.DecodeString(stripSpace(rk[2].Text()))
	if err != nil || len(r.digest) != r.digestHash.Size() {
		return nil, fail(ErrProfile, "DigestValue is not a base64 %s digest", r.digestHash)
	}
	return r, nil
}

func countRefs(kids []*etree.Element) int {
	n := 0
	for _, k := range kids {
		if is(k, Namespace, "Reference") {
			n++
		}
	}
	return n
}
