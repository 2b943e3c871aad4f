package sptest

import (
	"encoding/base64"
	"strings"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/internal/samltest"
)

// bindingPOST is the only ProtocolBinding Entra answers with.
const bindingPOST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

// maxRequest bounds a decoded AuthnRequest (an SP's is under 2 KB).
const maxRequest = 64 << 10

// authnRequest is what the IdP reads from an AuthnRequest.
type authnRequest struct {
	ID, Issuer, ACSURL, ProtocolBinding, NameIDFormat string
	RelayState                                        string
	ForceAuthn                                        bool
}

// parseRedirect reads an HTTP-Redirect AuthnRequest from a raw query string.
func parseRedirect(rawQuery string) (*authnRequest, error) {
	msg, err := redirect.Parse(rawQuery, redirect.DefaultLimits)
	if err != nil || msg.Param != redirect.SAMLRequest {
		return nil, refusal("AADSTS750054", "SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding.")
	}
	xml, err := redirect.Inflate(msg.Value, maxRequest)
	if err != nil {
		return nil, refusal("AADSTS75005", "The request is not a valid Saml2 protocol message.")
	}
	return parseRequestXML(xml, msg.RelayState)
}

// parsePost reads an HTTP-POST AuthnRequest: the SAMLRequest form value (base64, not
// deflated) and RelayState.
func parsePost(samlRequest, relayState string) (*authnRequest, error) {
	clean := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, samlRequest)
	if len(clean) > maxRequest*4/3+4 {
		return nil, refusal("AADSTS75005", "The request is not a valid Saml2 protocol message.")
	}
	xml, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil, refusal("AADSTS75005", "The request is not a valid Saml2 protocol message.")
	}
	return parseRequestXML(xml, relayState)
}

func parseRequestXML(b []byte, relayState string) (*authnRequest, error) {
	malformed := refusal("AADSTS75005", "The request is not a valid Saml2 protocol message.")
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, malformed
	}
	root := doc.Root()
	if root == nil || !samltest.Is(root, samltest.NSProtocol, "AuthnRequest") {
		return nil, malformed
	}
	r := &authnRequest{
		ID:              root.SelectAttrValue("ID", ""),
		ACSURL:          root.SelectAttrValue("AssertionConsumerServiceURL", ""),
		ProtocolBinding: root.SelectAttrValue("ProtocolBinding", ""),
		ForceAuthn:      root.SelectAttrValue("ForceAuthn", "") == "true" || root.SelectAttrValue("ForceAuthn", "") == "1",
		RelayState:      relayState,
	}
	if iss := samltest.Child(root, samltest.NSAssertion, "Issuer"); iss != nil {
		r.Issuer = strings.TrimSpace(iss.Text())
	}
	if p := samltest.Child(root, samltest.NSProtocol, "NameIDPolicy"); p != nil {
		r.NameIDFormat = p.SelectAttrValue("Format", "")
	}
	if r.ID == "" || r.Issuer == "" {
		return nil, malformed
	}
	if c := r.ID[0]; c >= '0' && c <= '9' {
		return nil, refusal("AADSTS7500529", "The value '"+r.ID+"' is not a valid SAML ID. The ID must not begin with a number.")
	}
	return r, nil
}
