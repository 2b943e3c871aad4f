package sp

import (
	"strings"

	"github.com/beevik/etree"
)

// Step 7: the Response. When the Response is unsigned (Entra's default) these values
// are unauthenticated; they are only ever used to reject.

func checkVersion(st *state) Check {
	rv, av := elAttr(st.responseEl(), "Version"), elAttr(st.assertionEl(), "Version")
	if rv != samlVersion || av != samlVersion {
		return failed(ErrMalformed, "version", "SAML 2.0", "Response Version "+quote(rv)+", Assertion Version "+quote(av),
			fix(CodeSAMLVersion, "the IdP must speak SAML 2.0"))
	}
	return passed("SAML 2.0", "2.0")
}

func checkStatus(st *state) Check {
	return statusOf(st.responseEl())
}

// statusOf reads a Response's Status: a pass for Success, else ErrStatus carrying the
// IdP's codes and message.
func statusOf(resp *etree.Element) Check {
	status := elChild(resp, protoNS, "Status")
	code := elChild(status, protoNS, "StatusCode")
	se := &StatusError{Code: elAttr(code, "Value")}
	if se.Code == statusSuccess {
		return passed(quote("Success"), quote("Success"))
	}
	for sub := elChild(code, protoNS, "StatusCode"); sub != nil; sub = elChild(sub, protoNS, "StatusCode") {
		se.SubCodes = append(se.SubCodes, elAttr(sub, "Value"))
	}
	se.Message = strings.TrimSpace(elText(elChild(status, protoNS, "StatusMessage")))
	se.Detail = strings.TrimSpace(elText(elChild(status, protoNS, "StatusDetail")))
	received := se.Error()
	if se.Code == "" {
		received = "no StatusCode"
	}
	f := fix(CodeIdPStatus, "the IdP refused the sign-in; its message says why")
	if strings.Contains(se.Message, "AADSTS") {
		f = fix(CodeEntraSignInLogs, "look the AADSTS code up in Entra's sign-in logs (Enterprise application → Sign-in logs) or at https://login.microsoftonline.com/error")
	}
	c := failed(ErrStatus, "status", quote("Success"), received, f)
	c.Err.(*Error).Err = se
	return c
}

func checkDestination(st *state) Check {
	want := st.sp.cfg.ACSURL
	if !elHasAttr(st.responseEl(), "Destination") {
		if st.respV != nil {
			return failed(ErrDestination, "destination", quote(want), "a signed Response without Destination",
				fix(CodeDestinationMissing, "a signed Response must name its Destination; check the IdP's Reply URL"))
		}
		return passed(quote(want), "no Destination (allowed for an unsigned Response)")
	}
	got := elAttr(st.responseEl(), "Destination")
	if got != want {
		return failed(ErrDestination, "destination", quote(want), quote(got),
			fix(CodeReplyURL, "set the Reply URL (Assertion Consumer Service URL) in Entra to "+quote(want), "value", want))
	}
	return passed(quote(want), quote(got))
}

func checkResponseIssuer(st *state) Check {
	want := st.sp.cfg.IdP.EntityID
	iss := elChild(st.responseEl(), assertNS, "Issuer")
	if iss == nil {
		return passed(quote(want), "no Issuer on the Response (allowed)")
	}
	return st.issuerCheck("response issuer", iss, want)
}

func (st *state) issuerCheck(name string, iss *etree.Element, want string) Check {
	got := strings.TrimSpace(elText(iss))
	if f := elAttr(iss, "Format"); f != "" && f != nameIDEntity {
		return failed(ErrIssuer, name, "an entity Issuer", "Issuer Format "+quote(f), fix(CodeIssuerFormat, "the IdP's Issuer must be its entity ID"))
	}
	if got != want && st.foreignSigner {
		// The signature check named the other IdP already: one fix, not two.
		return failed(ErrIssuer, name, quote(want), quote(got), otherIdPFix(got, want))
	}
	if got != want {
		return failed(ErrIssuer, name, quote(want), quote(got),
			fix(CodeIdPEntityID, "set the IdP Entity ID here to the IdP's (Entra: Microsoft Entra Identifier, https://sts.windows.net/<tenant-id>/), or check this response comes from the right tenant", "value", want))
	}
	return passed(quote(want), quote(got))
}
