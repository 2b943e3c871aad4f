package sp

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/assertion"
)

// Step 9: the result, read only from the element the signature covered.

func checkBuild(st *state) Check {
	const name = "assertion"
	a, c := st.sp.build(st)
	if c.Status == Failed {
		return c
	}
	st.out = a
	got := "NameID " + quote(a.NameID.Value) + ", " + strconv.Itoa(len(a.AttributeNames)) + " attributes"
	if st.trust == nil {
		got += " (unverified)"
	}
	return passed("a NameID and attributes", got)
}

func (s *SP) build(st *state) (*assertion.Assertion, Check) {
	const name = "assertion"
	el := st.assertionEl()
	a := &assertion.Assertion{
		ID:           elAttr(el, "ID"),
		Issuer:       strings.TrimSpace(elText(elChild(el, assertNS, "Issuer"))),
		IssueInstant: st.issueInstant,
		InResponseTo: st.inResponseTo,
		Attributes:   map[string]assertion.Attribute{},
	}
	if t := st.trust; t != nil {
		a.Signer = t.signer.Certificate
		a.SignatureAlgorithm = t.signer.SignatureMethod
		if t.response != nil {
			a.ResponseSigner = t.response.Certificate
		}
	}
	if a.ID == "" {
		return nil, failed(ErrMalformed, name, "an Assertion ID", "none", fix(CodeAssertionID, "the IdP must give the assertion an ID"))
	}

	subject := elChild(el, assertNS, "Subject")
	nameID := elChild(subject, assertNS, "NameID")
	ids := len(elChildren(subject, assertNS, "NameID")) + len(elChildren(subject, assertNS, "BaseID")) +
		len(elChildren(subject, assertNS, "EncryptedID"))
	switch {
	case ids > 1:
		// The schema allows one identifier; two invite each reader to pick another.
		return nil, failed(ErrMalformed, name, "one NameID in the Subject", strconv.Itoa(ids)+" identifiers",
			fix(CodeOneNameID, "the Subject must identify one user"))
	case nameID == nil && elChild(subject, assertNS, "EncryptedID") != nil:
		return nil, failed(ErrMalformed, name, "a NameID", "an EncryptedID (not supported)",
			fix(CodeNameIDEncryption, "turn off NameID encryption at the IdP; encrypt the whole assertion instead"))
	case nameID == nil:
		return nil, failed(ErrMalformed, name, "a NameID in the Subject", "none",
			fix(CodeNameID, "configure the IdP to send a NameID (Entra: Unique User Identifier)"))
	case hasElementChildren(nameID):
		return nil, failed(ErrMalformed, name, "a NameID with only text", "markup inside the NameID",
			fix(CodeAltered, "the response was altered"))
	}
	a.NameID = assertion.NameID{
		Value:           elText(nameID),
		Format:          elAttr(nameID, "Format"),
		NameQualifier:   elAttr(nameID, "NameQualifier"),
		SPNameQualifier: elAttr(nameID, "SPNameQualifier"),
		SPProvidedID:    elAttr(nameID, "SPProvidedID"),
	}
	if strings.TrimSpace(a.NameID.Value) == "" {
		return nil, failed(ErrMalformed, name, "a non-empty NameID", "an empty NameID",
			fix(CodeNameID, "configure the IdP to send a NameID (Entra: Unique User Identifier)"))
	}

	if conds := elChild(el, assertNS, "Conditions"); conds != nil {
		a.NotBefore, _ = parseTime(elAttr(conds, "NotBefore"))
		a.NotOnOrAfter, _ = parseTime(elAttr(conds, "NotOnOrAfter"))
		for _, r := range elChildren(conds, assertNS, "AudienceRestriction") {
			for _, au := range elChildren(r, assertNS, "Audience") {
				a.Audiences = append(a.Audiences, strings.TrimSpace(elText(au)))
			}
		}
	}

	authn := elChildren(el, assertNS, "AuthnStatement")
	if len(authn) == 0 {
		return nil, failed(ErrMalformed, name, "an AuthnStatement", "none",
			fix(CodeAuthnStatement, "the IdP must say how the user authenticated (SAML Web Browser SSO)"))
	}
	as := authn[0]
	a.SessionIndex = elAttr(as, "SessionIndex")
	var ok bool
	if v := elAttr(as, "AuthnInstant"); v != "" {
		if a.AuthnInstant, ok = parseTime(v); !ok {
			return nil, failed(ErrMalformed, name, "an xs:dateTime AuthnInstant", quote(v), fix(CodeInvalidTime, "the IdP sent an invalid time"))
		}
	}
	if v := elAttr(as, "SessionNotOnOrAfter"); v != "" {
		if a.SessionNotOnOrAfter, ok = parseTime(v); !ok {
			return nil, failed(ErrMalformed, name, "an xs:dateTime SessionNotOnOrAfter", quote(v), fix(CodeInvalidTime, "the IdP sent an invalid time"))
		}
	}
	a.AuthnContextClassRef = strings.TrimSpace(elText(elChild(elChild(as, assertNS, "AuthnContext"), assertNS, "AuthnContextClassRef")))

	for _, stmt := range elChildren(el, assertNS, "AttributeStatement") {
		for _, at := range stmt.ChildElements() {
			if !elIs(at, assertNS, "Attribute") {
				continue
			}
			if c := s.addAttribute(a, at); c.Status == Failed {
				return nil, c
			}
		}
	}
	return a, Check{}
}

// addAttribute appends one Attribute's values, merging an Attribute the IdP split
// over several elements or statements.
func (s *SP) addAttribute(a *assertion.Assertion, at *etree.Element) Check {
	const name = "assertion"
	n := elAttr(at, "Name")
	if n == "" {
		return failed(ErrMalformed, name, "every Attribute with a Name", "an Attribute without Name", fix(CodeAttributeName, "the IdP sent an invalid attribute"))
	}
	attr, seen := a.Attributes[n]
	if !seen {
		attr = assertion.Attribute{Name: n, NameFormat: elAttr(at, "NameFormat"), FriendlyName: elAttr(at, "FriendlyName")}
		a.AttributeNames = append(a.AttributeNames, n)
	}
	for _, t := range at.Child {
		v, ok := t.(*etree.Element)
		if !ok || !elIs(v, assertNS, "AttributeValue") {
			continue
		}
		if len(attr.Values) >= s.limits.MaxAttributeValues {
			return failed(ErrMalformed, name, "at most "+strconv.Itoa(s.limits.MaxAttributeValues)+" values per attribute",
				"more in "+quote(n), fix(CodeAttributeValues, "send fewer values (Entra: Attributes & Claims, e.g. only the groups assigned to the application), or raise this SP's limit on values per attribute", "limit", strconv.Itoa(s.limits.MaxAttributeValues), "attribute", n))
		}
		attr.Values = append(attr.Values, elText(v))
	}
	a.Attributes[n] = attr
	return Check{}
}
