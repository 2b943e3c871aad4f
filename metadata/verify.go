package metadata

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/xmldsig"
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

// verifyRoot checks the root's enveloped signature with internal/xmldsig, the profile
// every SAML signature this library accepts passes (one Reference to the root's own ID,
// enveloped-signature then exclusive C14N, RSA-SHA256/384/512 and SHA-256/384/512, each
// trusted certificate alone, KeyInfo never trusted), and returns the signed element as
// the digest covered it.
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
	// Schema order puts ds:Signature first.
	if first := root.ChildElements()[0]; first != sigs[0] {
		return nil, sigErr(fmt.Sprintf("the root's first child is %s, not its Signature", qname(first)), "", nil)
	}
	if attr(root, "ID") == "" {
		return nil, sigErr("a root element without an ID attribute to sign", "", nil)
	}
	v, err := xmldsig.Verify(root, sigs[0], trusted, xmldsig.Profile{})
	if err == nil {
		return v.Element, nil
	}
	var de *xmldsig.Error
	reason := err.Error()
	if errors.As(err, &de) {
		reason = de.Reason
	}
	switch {
	case errors.Is(err, xmldsig.ErrUntrusted), errors.Is(err, xmldsig.ErrDigest):
		var tps []string
		for _, c := range trusted {
			tps = append(tps, certs.Thumbprint(c))
		}
		return nil, sigErr(fmt.Sprintf("a signature that does not verify with the given certificate(s) (thumbprint %s): %s", strings.Join(tps, ", "), reason),
			"the file was changed after signing (reformatted or edited) or was signed by another key: download it again from the IdP and do not open it in an editor", nil)
	case errors.Is(err, xmldsig.ErrAlgorithm):
		return nil, sigErr("a signature algorithm that is not allowed: "+reason, "the metadata must be signed with RSA and SHA-256 or stronger", nil)
	}
	return nil, sigErr("a signature outside the SAML profile: "+reason, "metadata is signed as the IdP publishes it: one enveloped signature over the root element", nil)
}
