package samltest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // SHA-1 only for negative tests and the explicit opt-in
	_ "crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Algorithm identifiers used in SignedInfo.
const (
	AlgExcC14N         = "http://www.w3.org/2001/10/xml-exc-c14n#"
	AlgExcC14NComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	AlgC14N10          = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	AlgC14N11          = "http://www.w3.org/2006/12/xml-c14n11"
	AlgEnveloped       = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	AlgXSLT            = "http://www.w3.org/TR/1999/REC-xslt-19991116"
	AlgXPath           = "http://www.w3.org/TR/1999/REC-xpath-19991116"
	AlgBase64          = "http://www.w3.org/2000/09/xmldsig#base64"

	AlgRSASHA1    = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	AlgRSASHA256  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgRSASHA384  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	AlgRSASHA512  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	AlgHMACSHA1   = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
	AlgHMACSHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
	AlgRSAMD5     = "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"

	AlgDigestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	AlgDigestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	AlgDigestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	AlgDigestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

func (a Algorithm) hash() crypto.Hash {
	switch a {
	case SHA1:
		return crypto.SHA1
	case SHA384:
		return crypto.SHA384
	case SHA512:
		return crypto.SHA512
	}
	return crypto.SHA256
}

// Sign puts an enveloped signature made by goxmldsig into el, right after el's Issuer
// child, exactly where Entra puts it: default-namespaced (<Signature xmlns="…xmldsig#">),
// exclusive C14N, Reference "#" + el/@ID, KeyInfo carrying idp.Cert. A Signature that is
// already a direct child of el is replaced, so Sign also re-signs an edited element.
func (idp *IdP) Sign(el *etree.Element, alg Algorithm) error {
	RemoveSignature(el)
	ctx, err := dsig.NewSigningContext(idp.Key, [][]byte{idp.Cert.Raw})
	if err != nil {
		return err
	}
	ctx.Prefix = "" // Entra's default-namespaced Signature
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Hash = alg.hash()
	// goxmldsig canonicalizes the element it is given in place; give it a detached copy
	// carrying the namespaces in scope, so our tree keeps Entra's attribute order.
	detached, err := detach(el)
	if err != nil {
		return err
	}
	sig, err := ctx.ConstructSignature(detached, true)
	if err != nil {
		return fmt.Errorf("samltest: sign: %w", err)
	}
	el.InsertChildAt(signaturePosition(el), sig)
	return nil
}

// detach copies el and declares on the copy every namespace in scope at el that el does
// not declare itself, so the copy means the same thing on its own. (goxmldsig's
// NSDetatch does this too but refuses subtrees over 1,000 elements, and Entra signs
// assertions far larger than that.)
func detach(el *etree.Element) (*etree.Element, error) {
	cp := el.Copy()
	declared := map[string]bool{}
	for _, a := range cp.Attr {
		if a.Space == "xmlns" {
			declared[a.Key] = true
		} else if a.Space == "" && a.Key == "xmlns" {
			declared[""] = true
		}
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			switch {
			case a.Space == "xmlns" && !declared[a.Key]:
				declared[a.Key] = true
				cp.CreateAttr("xmlns:"+a.Key, a.Value)
			case a.Space == "" && a.Key == "xmlns" && !declared[""]:
				declared[""] = true
				cp.CreateAttr("xmlns", a.Value)
			}
		}
	}
	return cp, nil
}

// signaturePosition is the child index right after el's Issuer (or 0 without one).
func signaturePosition(el *etree.Element) int {
	if iss := Child(el, NSAssertion, "Issuer"); iss != nil {
		return iss.Index() + 1
	}
	return 0
}

// RemoveSignature removes el's direct-child ds:Signature elements and reports whether
// there was one.
func RemoveSignature(el *etree.Element) bool {
	found := false
	for _, s := range Children(el, NSDSig, "Signature") {
		el.RemoveChild(s)
		found = true
	}
	return found
}

// Spec describes a hand-shaped signature for tests of the SP's signature profile: every
// field defaults to what Entra writes. The SignatureValue is computed honestly with the
// signer's key over the canonical SignedInfo (or with HMACKey for hmac-* methods), and
// each DigestValue honestly over what its Reference names, so the only thing "wrong"
// with the result is the shape the test asked for.
type Spec struct {
	SignatureMethod string   // default rsa-sha256
	DigestMethod    string   // default sha256
	C14NMethod      string   // canonicalization of SignedInfo; default exc-c14n
	Transforms      []string // default enveloped-signature, exc-c14n; nil means default, []string{} none
	References      []string // Reference URIs; default "#" + el/@ID
	HMACKey         []byte   // key for hmac-* signature methods
	// TransformBody, when set, is placed inside every Transform element whose Algorithm
	// is XSLT or XPath (the stylesheet or expression).
	TransformBody string
	// NoKeyInfo leaves KeyInfo out.
	NoKeyInfo bool
}

// SignSpec signs el with a signature shaped by spec (see Spec), inserted after el's Issuer.
func (idp *IdP) SignSpec(el *etree.Element, spec Spec) error {
	RemoveSignature(el)
	if spec.SignatureMethod == "" {
		spec.SignatureMethod = AlgRSASHA256
	}
	if spec.DigestMethod == "" {
		spec.DigestMethod = AlgDigestSHA256
	}
	if spec.C14NMethod == "" {
		spec.C14NMethod = AlgExcC14N
	}
	if spec.Transforms == nil {
		spec.Transforms = []string{AlgEnveloped, AlgExcC14N}
	}
	if spec.References == nil {
		spec.References = []string{"#" + el.SelectAttrValue("ID", "")}
	}

	sig := etree.NewElement("Signature")
	sig.CreateAttr("xmlns", NSDSig)
	si := sig.CreateElement("SignedInfo")
	si.CreateElement("CanonicalizationMethod").CreateAttr("Algorithm", spec.C14NMethod)
	si.CreateElement("SignatureMethod").CreateAttr("Algorithm", spec.SignatureMethod)
	var digests []*etree.Element
	for _, uri := range spec.References {
		ref := si.CreateElement("Reference")
		ref.CreateAttr("URI", uri)
		if len(spec.Transforms) > 0 {
			ts := ref.CreateElement("Transforms")
			for _, t := range spec.Transforms {
				te := ts.CreateElement("Transform")
				te.CreateAttr("Algorithm", t)
				if spec.TransformBody != "" && (t == AlgXSLT || t == AlgXPath) {
					if t == AlgXPath {
						te.CreateElement("XPath").SetText(spec.TransformBody)
					} else {
						te.CreateText(spec.TransformBody)
					}
				}
			}
		}
		ref.CreateElement("DigestMethod").CreateAttr("Algorithm", spec.DigestMethod)
		digests = append(digests, ref.CreateElement("DigestValue"))
	}
	el.InsertChildAt(signaturePosition(el), sig)

	root := el
	for root.Parent() != nil {
		root = root.Parent()
	}
	for i, uri := range spec.References {
		d, err := referenceDigest(root, sig, uri, spec)
		if err != nil {
			return err
		}
		digests[i].SetText(base64.StdEncoding.EncodeToString(d))
	}

	canon, err := canonicalSignedInfo(si, spec.C14NMethod)
	if err != nil {
		return err
	}
	value, err := idp.signatureValue(canon, spec)
	if err != nil {
		return err
	}
	sig.CreateElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	if !spec.NoKeyInfo {
		sig.CreateElement("KeyInfo").CreateElement("X509Data").CreateElement("X509Certificate").
			SetText(base64.StdEncoding.EncodeToString(idp.Cert.Raw))
	}
	return nil
}

func (idp *IdP) signatureValue(canon []byte, spec Spec) ([]byte, error) {
	var h crypto.Hash
	switch spec.SignatureMethod {
	case AlgRSASHA1, AlgHMACSHA1:
		h = crypto.SHA1
	case AlgRSASHA256, AlgHMACSHA256:
		h = crypto.SHA256
	case AlgRSASHA384:
		h = crypto.SHA384
	case AlgRSASHA512:
		h = crypto.SHA512
	case AlgRSAMD5:
		h = crypto.SHA256 // Go cannot sign MD5; the value only has to look plausible
	default:
		return nil, fmt.Errorf("samltest: no signer for %s", spec.SignatureMethod)
	}
	if spec.SignatureMethod == AlgHMACSHA1 || spec.SignatureMethod == AlgHMACSHA256 {
		m := hmac.New(h.New, spec.HMACKey)
		m.Write(canon)
		return m.Sum(nil), nil
	}
	sum := h.New()
	sum.Write(canon)
	return rsa.SignPKCS1v15(rand.Reader, idp.Key, h, sum.Sum(nil))
}

// referenceDigest computes what goxmldsig would compare the DigestValue with: the
// referenced element, with sig removed (enveloped), canonicalized by the last
// canonicalization transform (exclusive C14N when there is none).
func referenceDigest(root, sig *etree.Element, uri string, spec Spec) ([]byte, error) {
	var target *etree.Element
	switch {
	case uri == "":
		// XML-DSig says the whole document; goxmldsig takes the element it validates.
		// Follow goxmldsig, so the result is a signature a goxmldsig-based SP would
		// accept unless its own profile check refuses the empty URI.
		target = sig.Parent()
	case len(uri) > 1 && uri[0] == '#':
		target = FindID(root, uri[1:])
	}
	var data []byte
	if target != nil {
		path := pathTo(target, sig)
		cp, err := detach(target)
		if err != nil {
			return nil, err
		}
		if path != nil {
			removeAt(cp, path)
		}
		c := canonicalizer(AlgExcC14N)
		for _, t := range spec.Transforms {
			if cc := canonicalizer(t); cc != nil {
				c = cc
			}
		}
		if data, err = c.Canonicalize(cp); err != nil {
			return nil, err
		}
	}
	var h crypto.Hash
	switch spec.DigestMethod {
	case AlgDigestSHA1:
		h = crypto.SHA1
	case AlgDigestSHA384:
		h = crypto.SHA384
	case AlgDigestSHA512:
		h = crypto.SHA512
	default:
		h = crypto.SHA256
	}
	sum := h.New()
	sum.Write(data)
	return sum.Sum(nil), nil
}

func canonicalizer(alg string) dsig.Canonicalizer {
	switch alg {
	case AlgExcC14N:
		return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	case AlgExcC14NComments:
		return dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList("")
	case AlgC14N10:
		return dsig.MakeC14N10RecCanonicalizer()
	case AlgC14N11:
		return dsig.MakeC14N11Canonicalizer()
	}
	return nil
}

func canonicalSignedInfo(si *etree.Element, alg string) ([]byte, error) {
	d, err := detach(si)
	if err != nil {
		return nil, err
	}
	c := canonicalizer(alg)
	if c == nil {
		return nil, errors.New("samltest: unsupported SignedInfo canonicalization " + alg)
	}
	return c.Canonicalize(d)
}

// pathTo is the child-index path from root down to el, or nil when el is not inside root.
func pathTo(root, el *etree.Element) []int {
	var rev []int
	for e := el; e != root; e = e.Parent() {
		if e == nil || e.Parent() == nil {
			return nil
		}
		rev = append(rev, e.Index())
	}
	path := make([]int, len(rev))
	for i := range rev {
		path[i] = rev[len(rev)-1-i]
	}
	return path
}

func removeAt(el *etree.Element, path []int) {
	for _, i := range path[:len(path)-1] {
		el = el.Child[i].(*etree.Element)
	}
	el.RemoveChildAt(path[len(path)-1])
}

// SignedInfoBytes is the exclusive-C14N form of sig's SignedInfo: what the SignatureValue
// is computed over. Controls use it to recompute an HMAC "signature" anyone could make.
func SignedInfoBytes(sig *etree.Element) ([]byte, error) {
	si := Child(sig, NSDSig, "SignedInfo")
	if si == nil {
		return nil, errors.New("samltest: no SignedInfo")
	}
	return canonicalSignedInfo(si, AlgExcC14N)
}
