package metadata

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/certs"
)

// Algorithms accepted in a metadata signature. SHA-1 is refused: Entra has signed
// metadata with RSA-SHA256 for as long as it has published it.
var (
	allowedSignatureMethods = map[string]bool{
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256":   true,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384":   true,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512":   true,
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": true,
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": true,
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": true,
	}
	allowedDigestMethods = map[string]bool{
		"http://www.w3.org/2001/04/xmlenc#sha256":       true,
		"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
		"http://www.w3.org/2001/04/xmlenc#sha512":       true,
	}
	allowedTransforms = map[string]bool{
		"http://www.w3.org/2000/09/xmldsig#enveloped-signature": true,
		"http://www.w3.org/2001/10/xml-exc-c14n#":               true,
		"http://www.w3.org/2001/10/xml-exc-c14n#WithComments":   true,
	}
)

// VerifySignature checks that data (IdP or federation metadata) carries a valid
// enveloped signature over its root element made by one of trusted. The signature's
// KeyInfo is ignored: only the given certificates are tried, so metadata cannot vouch
// for itself. Certificate dates are not judged here (keys are pinned, not chained);
// see certs.CheckExpiry.
//
// A file that was reformatted after signing, as happens when someone pretty-prints or
// re-saves it, fails: the signature covers the exact bytes Entra produced.
func VerifySignature(data []byte, trusted ...*x509.Certificate) error {
	root, err := readTree(data)
	if err != nil {
		return err
	}
	_, err = verifyRoot(root, trusted)
	return err
}

// ParseSignedIdP is ParseIdPEntity for metadata that must be signed by one of trusted.
// The IdP is read from the element the signature covered, never from the bytes around it.
func ParseSignedIdP(data []byte, entityID string, trusted ...*x509.Certificate) (*IdP, error) {
	root, err := readTree(data)
	if err != nil {
		return nil, err
	}
	signed, err := verifyRoot(root, trusted)
	if err != nil {
		return nil, err
	}
	ent, err := pickEntity(signed, entityID)
	if err != nil {
		return nil, err
	}
	return idpFromEntity(ent)
}

func sigErr(found, hint string, cause error) error {
	return &Error{Kind: ErrSignature, Field: "metadata signature", Found: found, Hint: hint, Err: cause}
}

// verifyRoot checks the signature profile, then the signature itself with each trusted
// certificate alone, and returns the signed element as goxmldsig re-read it.
func verifyRoot(root *etree.Element, trusted []*x509.Certificate) (*etree.Element, error) {
	if len(trusted) == 0 {
		return nil, sigErr("no trusted certificate to check against", "pass the IdP's signing certificate", nil)
	}
	sigs := children(root, nsDSig, "Signature")
	switch {
	case len(sigs) == 0:
		return nil, sigErr("unsigned metadata (no Signature element under the root)", "", nil)
	case len(sigs) > 1:
		return nil, sigErr(fmt.Sprintf("%d Signature elements under the root", len(sigs)), "", nil)
	}
	// Schema order puts ds:Signature first; goxmldsig then finds this one and no other.
	if first := root.ChildElements()[0]; first != sigs[0] {
		return nil, sigErr(fmt.Sprintf("the root's first child is %s, not its Signature", qname(first)), "", nil)
	}
	if err := checkProfile(sigs[0], attr(root, "ID")); err != nil {
		return nil, err
	}
	el := root.Copy()
	for _, s := range children(el, nsDSig, "Signature") {
		for _, ki := range children(s, nsDSig, "KeyInfo") {
			s.RemoveChild(ki) // KeyInfo is outside SignedInfo: removing it changes nothing signed
		}
	}
	var lastErr error
	for _, c := range trusted {
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		ctx.Clock = dsig.NewFakeClockAt(c.NotBefore) // dates are CheckExpiry's business
		signed, err := ctx.Validate(el)
		if err == nil {
			return signed, nil
		}
		lastErr = err
	}
	var tps []string
	for _, c := range trusted {
		tps = append(tps, certs.Thumbprint(c))
	}
	return nil, sigErr(fmt.Sprintf("a signature that does not verify with the given certificate(s) (thumbprint %s)", strings.Join(tps, ", ")),
		"the file was changed after signing (reformatted or edited) or was signed by another key: download it again from the IdP and do not open it in an editor", lastErr)
}

// checkProfile allows one Reference to the root's own ID with allow-listed algorithms.
func checkProfile(sig *etree.Element, rootID string) error {
	if rootID == "" {
		return sigErr("a root element without an ID attribute to sign", "", nil)
	}
	sis := children(sig, nsDSig, "SignedInfo")
	if len(sis) != 1 {
		return sigErr(fmt.Sprintf("%d SignedInfo elements", len(sis)), "", nil)
	}
	si := sis[0]
	for _, sm := range children(si, nsDSig, "SignatureMethod") {
		if alg := attr(sm, "Algorithm"); !allowedSignatureMethods[alg] {
			return sigErr(fmt.Sprintf("signature algorithm %q", alg), "RSA or ECDSA with SHA-256 or stronger is required", nil)
		}
	}
	refs := children(si, nsDSig, "Reference")
	if len(refs) != 1 {
		return sigErr(fmt.Sprintf("%d References", len(refs)), "exactly one, to the root element", nil)
	}
	if uri := attr(refs[0], "URI"); uri != "#"+rootID {
		return sigErr(fmt.Sprintf("a Reference to %q", uri), fmt.Sprintf("it must reference the root element, #%s", rootID), nil)
	}
	for _, dm := range children(refs[0], nsDSig, "DigestMethod") {
		if alg := attr(dm, "Algorithm"); !allowedDigestMethods[alg] {
			return sigErr(fmt.Sprintf("digest algorithm %q", alg), "SHA-256 or stronger is required", nil)
		}
	}
	for _, ts := range children(refs[0], nsDSig, "Transforms") {
		for _, t := range children(ts, nsDSig, "Transform") {
			if alg := attr(t, "Algorithm"); !allowedTransforms[alg] {
				return sigErr(fmt.Sprintf("transform %q", alg), "only enveloped-signature and exclusive canonicalization are allowed", nil)
			}
		}
	}
	return nil
}
