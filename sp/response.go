package sp

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/internal/xmlgate"
)

// Step 1: the form value, before anything is decoded.

func checkSize(st *state) Check {
	lim := st.sp.limits.MaxEncodedSize
	n := len(st.encoded)
	switch {
	case n == 0:
		return failed(ErrMalformed, "size", "a SAMLResponse form value", "an empty value",
			fix(CodePostBinding, "post the IdP's response to the ACS URL as the SAMLResponse form field (HTTP-POST binding)"))
	case n > lim:
		return failed(ErrMalformed, "size", "at most "+strconv.Itoa(lim)+" bytes", strconv.Itoa(n)+" bytes",
			fix(CodeSizeLimit, "the response is far larger than any login needs; if it is genuine, raise this SP's response size limit", "limit", "MaxEncodedSize", "value", strconv.Itoa(lim)))
	}
	return passed("at most "+strconv.Itoa(lim)+" bytes", strconv.Itoa(n)+" bytes")
}

func checkBase64(st *state) Check {
	s := st.encoded
	// Browsers and some IdPs wrap base64 lines; nothing else is tolerated.
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, s)
	}
	if max := base64.StdEncoding.DecodedLen(len(s)); max > st.sp.limits.MaxDecodedSize+3 {
		return failed(ErrMalformed, "base64", "at most "+strconv.Itoa(st.sp.limits.MaxDecodedSize)+" bytes of XML",
			"about "+strconv.Itoa(max)+" bytes", fix(CodeSizeLimit, "if the response is genuine, raise this SP's response size limit", "limit", "MaxDecodedSize", "value", strconv.Itoa(st.sp.limits.MaxDecodedSize)))
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil && len(b) == 0 {
		err = errEmpty
	}
	if err != nil {
		return failed(ErrMalformed, "base64", "a base64-encoded SAML Response", "a value that is not base64 ("+err.Error()+")",
			fix(CodePostBinding, "post the response with the HTTP-POST binding: SAMLResponse must be the base64 of the XML"))
	}
	st.xml = b
	return passed("base64", strconv.Itoa(len(b))+" bytes of XML")
}

// Step 2: the gate, and the one parse.

func (s *SP) gateLimits() xmlgate.Limits {
	return xmlgate.Limits{
		MaxSize:        s.limits.MaxDecodedSize,
		MaxDepth:       s.limits.MaxDepth,
		MaxElements:    s.limits.MaxElements,
		MaxValueLength: s.limits.MaxValueLength,
		MaxComments:    s.limits.MaxComments,

		MaxCipherValueLength:     s.limits.MaxDecodedSize,
		MaxNamespaceURILength:    s.limits.MaxNamespaceURILength,
		MaxNamespaceDeclarations: s.limits.MaxNamespaceDeclarations,
		MaxDocumentAttributes:    s.limits.MaxXMLAttributes,
	}
}

func checkXML(st *state) Check {
	st.ids = make(map[string]bool)
	var dup string
	// The gate's walk already resolves every element's namespace: note the assertions
	// and signatures on the way, so the shape check needs no second walk.
	doc, err := xmlgate.Parse(st.xml, st.sp.gateLimits(), func(el *etree.Element, ns string) error {
		switch {
		case ns == assertNS && (el.Tag == "Assertion" || el.Tag == encryptedElement):
			st.assertions = append(st.assertions, el)
		case ns == dsigNS && el.Tag == "Signature":
			st.signatures = append(st.signatures, el)
		}
		return collectID(st.ids, el, &dup)
	})
	if err != nil {
		if dup != "" {
			return failed(ErrMalformed, "xml", "every ID attribute unique", "ID "+quote(dup)+" used twice",
				fix(CodeAltered, "a genuine IdP never repeats an ID; this response was altered"))
		}
		return failed(ErrMalformed, "xml", "plain, well-formed XML without DTDs", err.Error(),
			fix(CodeXMLRejected, "post the IdP's response unchanged; this library refuses DTDs, entities, processing instructions and oversized documents"))
	}
	st.doc = doc
	return passed("well-formed XML within limits", "ok")
}

var (
	errDuplicateID = errors.New("duplicate ID")
	errEmpty       = errors.New("nothing but whitespace")
)

func collectID(ids map[string]bool, el *etree.Element, dup *string) error {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == "ID" {
			if ids[a.Value] {
				*dup = a.Value
				return errDuplicateID
			}
			ids[a.Value] = true
		}
	}
	return nil
}

// Step 3: shape.

func checkShape(st *state) Check {
	root := st.doc.Root()
	if !elIs(root, protoNS, "Response") {
		got := "<" + root.FullTag() + "> in namespace " + quote(root.NamespaceURI())
		return failed(ErrMalformed, "shape", "a <Response> in namespace "+quote(protoNS), got,
			fix(CodeNotAResponse, "post the whole samlp:Response the IdP sent, not a bare Assertion or another message"))
	}
	st.resp = root

	// Exactly one assertion, a direct child of the Response, and no other anywhere
	// (not in Extensions, Advice, a Signature's Object, …). Signatures only as direct
	// children of the Response or that assertion.
	assertions, sigs := st.assertions, st.signatures
	if len(assertions) == 0 {
		if c := statusOf(root); c.Err != nil {
			return c // The IdP refused: say so, not "no assertion".
		}
		return failed(ErrMalformed, "shape", "one Assertion or EncryptedAssertion", "none",
			fix(CodeNoAssertion, "the IdP sent a Response without an assertion"))
	}
	if len(assertions) > 1 {
		return failed(ErrMalformed, "shape", "exactly one Assertion or EncryptedAssertion", strconv.Itoa(len(assertions)),
			fix(CodeSignatureWrapping, "a response must carry one assertion; extra or nested assertions are a signature-wrapping attack"))
	}
	a := assertions[0]
	if a.Parent() != root {
		return failed(ErrMalformed, "shape", "the assertion as a direct child of <Response>",
			"an assertion inside <"+a.Parent().FullTag()+">", fix(CodeSignatureWrapping, "this is a signature-wrapping attack or a broken IdP"))
	}
	if a.Tag == encryptedElement {
		st.encrypted = a
	} else {
		st.received = a
	}
	for _, name := range []string{"Issuer", "Status"} {
		ns := assertNS
		if name == "Status" {
			ns = protoNS
		}
		if n := len(elChildren(root, ns, name)); n > 1 || (name == "Status" && n == 0) {
			return failed(ErrMalformed, "shape", "one <"+name+"> in the Response", strconv.Itoa(n),
				fix(CodeSchema, "the Response does not follow the SAML schema"))
		}
	}
	for _, s := range sigs {
		switch p := s.Parent(); {
		case p == root && st.respSig == nil:
			st.respSig = s
		case p == st.received && st.assertSig == nil:
			st.assertSig = s
		default:
			return failed(ErrSignature, "shape", "at most one Signature, as a direct child of the Response or the Assertion",
				"a Signature inside <"+p.FullTag()+">", fix(CodeSignatureWrapping, "signatures elsewhere are a signature-wrapping attack"))
		}
	}
	for _, sig := range []*etree.Element{st.respSig, st.assertSig} {
		if sig != nil && !signatureAfterIssuer(sig) {
			return failed(ErrSignature, "shape", "the Signature right after the Issuer (SAML schema order)",
				"a Signature elsewhere in <"+sig.Parent().FullTag()+">", fix(CodeAltered, "the response was altered"))
		}
	}
	shape := "Response with Assertion"
	if st.encrypted != nil {
		shape = "Response with EncryptedAssertion"
	}
	return passed("Response with one Assertion or EncryptedAssertion", shape)
}

// signatureAfterIssuer reports whether sig sits where the SAML schema puts it: the first
// child element of its parent, or the second after the Issuer.
func signatureAfterIssuer(sig *etree.Element) bool {
	var before []*etree.Element
	for _, t := range sig.Parent().Child {
		if t == etree.Token(sig) {
			break
		}
		if c, ok := t.(*etree.Element); ok {
			before = append(before, c)
		}
	}
	return len(before) == 0 || (len(before) == 1 && elIs(before[0], assertNS, "Issuer"))
}
