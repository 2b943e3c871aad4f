package sp

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Step 8: the assertion, read from the element the signature covered.

func checkAssertionIssuer(st *state) Check {
	iss := elChildren(st.assertionEl(), assertNS, "Issuer")
	if len(iss) != 1 {
		return failed(ErrIssuer, "assertion issuer", quote(st.sp.cfg.IdP.EntityID), "no single Issuer in the Assertion",
			fix(CodeAssertionIssuer, "the Assertion must name its IdP"))
	}
	return st.issuerCheck("assertion issuer", iss[0], st.sp.cfg.IdP.EntityID)
}

// bearerConfirmations returns the SubjectConfirmationData of every bearer
// SubjectConfirmation of the assertion's one Subject.
func bearerConfirmations(a *etree.Element) ([]*etree.Element, bool) {
	subjects := elChildren(a, assertNS, "Subject")
	if len(subjects) != 1 {
		return nil, false
	}
	var out []*etree.Element
	for _, sc := range elChildren(subjects[0], assertNS, "SubjectConfirmation") {
		if elAttr(sc, "Method") != cmBearer {
			continue
		}
		if scd := elChild(sc, assertNS, "SubjectConfirmationData"); scd != nil {
			out = append(out, scd)
		}
	}
	return out, true
}

func checkRecipient(st *state) Check {
	const name = "recipient"
	want := st.sp.cfg.ACSURL
	scds, ok := bearerConfirmations(st.assertionEl())
	if !ok || len(scds) == 0 {
		return failed(ErrMalformed, name, "a bearer SubjectConfirmation with SubjectConfirmationData", "none",
			fix(CodeBearerConfirmation, "the IdP must confirm the subject with the bearer method (SAML Web Browser SSO)"))
	}
	var got []string
	for _, scd := range scds {
		r := elAttr(scd, "Recipient")
		if r == want {
			st.subjectConfirmation = scd
			return passed(quote(want), quote(r))
		}
		if !elHasAttr(scd, "Recipient") {
			got = append(got, "no Recipient")
			continue
		}
		got = append(got, quote(r))
	}
	st.subjectConfirmation = scds[0] // so Diagnose can still report its other checks
	return failed(ErrDestination, name, quote(want), strings.Join(got, ", "),
		fix(CodeReplyURL, "set the Reply URL (Assertion Consumer Service URL) in Entra to "+quote(want), "value", want))
}

// window checks now against [notBefore, notOnOrAfter) widened by the skew, and keeps
// the earliest end for the replay cache.
func (st *state) window(name, what string, el *etree.Element, requireEnd bool) Check {
	skew := st.sp.skew
	nb, na := elAttr(el, "NotBefore"), elAttr(el, "NotOnOrAfter")
	desc := what
	var end time.Time
	if na != "" {
		t, ok := parseTime(na)
		if !ok {
			return failed(ErrMalformed, name, "an xs:dateTime NotOnOrAfter", quote(na), fix(CodeInvalidTime, "the IdP sent an invalid time"))
		}
		end = t
		desc += " until " + fmtTime(t)
	} else if requireEnd {
		return failed(ErrExpired, name, what+" with NotOnOrAfter", "no NotOnOrAfter", fix(CodeValidityWindow, "the IdP must limit how long its response is valid"))
	}
	if nb != "" {
		t, ok := parseTime(nb)
		if !ok {
			return failed(ErrMalformed, name, "an xs:dateTime NotBefore", quote(nb), fix(CodeInvalidTime, "the IdP sent an invalid time"))
		}
		desc = what + " from " + fmtTime(t) + strings.TrimPrefix(desc, what)
		if st.now.Add(skew).Before(t) {
			return failed(ErrExpired, name, desc+" (±"+skew.String()+")", "now is "+fmtTime(st.now)+", before NotBefore",
				fix(CodeClock, "the IdP's clock or this server's is wrong; check NTP on this server (or allow more clock skew in this SP)", "skew", skew.String()))
		}
	}
	if !end.IsZero() {
		if !st.now.Before(end.Add(skew)) {
			st.expired = true
			return failed(ErrExpired, name, desc+" (±"+skew.String()+")", "now is "+fmtTime(st.now)+", after NotOnOrAfter",
				fix(CodeExpired, "the response expired: sign in again; if it keeps happening, check this server's clock"))
		}
		st.keepEnd(end)
	}
	return passed(desc+" (±"+skew.String()+")", "now is "+fmtTime(st.now))
}

func (st *state) keepEnd(t time.Time) {
	if st.notOnOrAfter.IsZero() || t.Before(st.notOnOrAfter) {
		st.notOnOrAfter = t
	}
}

func checkConfirmationTime(st *state) Check {
	if st.subjectConfirmation == nil {
		return notApplicable("no bearer SubjectConfirmationData")
	}
	return st.window("subject confirmation time", "SubjectConfirmationData valid", st.subjectConfirmation, true)
}

func checkConditionsTime(st *state) Check {
	const name = "conditions time"
	conds := elChildren(st.assertionEl(), assertNS, "Conditions")
	if len(conds) != 1 {
		got := "no Conditions"
		if len(conds) > 1 {
			got = strconv.Itoa(len(conds)) + " Conditions elements"
		}
		return failed(ErrMalformed, name, "one Conditions element", got, fix(CodeConditions, "the IdP must state the assertion's Conditions"))
	}
	for _, c := range conds[0].ChildElements() {
		if c.NamespaceURI() == assertNS && (c.Tag == "AudienceRestriction" || c.Tag == "OneTimeUse" || c.Tag == "ProxyRestriction") {
			continue
		}
		return failed(ErrMalformed, name, "only AudienceRestriction, OneTimeUse and ProxyRestriction conditions",
			"condition <"+c.FullTag()+">", fix(CodeUnknownCondition, "an assertion with a condition the SP does not understand must be refused"))
	}
	return st.window(name, "Conditions valid", conds[0], false)
}

func checkIssueInstant(st *state) Check {
	const name = "issue instant"
	skew, delay := st.sp.skew, st.sp.delay
	want := "issued between " + fmtTime(st.now.Add(-delay-skew)) + " and " + fmtTime(st.now.Add(skew))
	for _, el := range []*etree.Element{st.assertionEl(), st.responseEl()} {
		v := elAttr(el, "IssueInstant")
		if v == "" && el == st.responseEl() {
			continue
		}
		t, ok := parseTime(v)
		if !ok {
			return failed(ErrMalformed, name, "an xs:dateTime IssueInstant", quote(v), fix(CodeInvalidTime, "the IdP sent an invalid time"))
		}
		if t.After(st.now.Add(skew)) {
			return failed(ErrExpired, name, want, "issued at "+fmtTime(t)+", in the future",
				fix(CodeClock, "the IdP's clock or this server's is wrong; check NTP on this server (or allow more clock skew in this SP)", "skew", skew.String()))
		}
		if t.Before(st.now.Add(-delay-skew)) && st.expired {
			// A time check already failed the response as expired; its fix ("sign in
			// again") is this one's.
			return notApplicable("the response already expired (see the time checks)")
		}
		if t.Before(st.now.Add(-delay - skew)) {
			return failed(ErrExpired, name, want, "issued at "+fmtTime(t),
				fix(CodeTooOld, "the response is too old: sign in again (this SP accepts responses up to "+delay.String()+" old)", "max_issue_delay", delay.String()))
		}
		if el == st.assertionEl() {
			st.issueInstant = t
			st.keepEnd(t.Add(delay))
		}
	}
	return passed(want, "issued at "+fmtTime(st.issueInstant))
}

func checkAudience(st *state) Check {
	const name = "audience"
	want := st.sp.cfg.EntityID
	conds := elChild(st.assertionEl(), assertNS, "Conditions")
	restrictions := elChildren(conds, assertNS, "AudienceRestriction")
	if len(restrictions) == 0 {
		return failed(ErrAudience, name, quote(want), "no AudienceRestriction",
			fix(CodeAudienceRestriction, "the IdP must restrict the assertion to this SP's Entity ID"))
	}
	// Every AudienceRestriction must name us (SAML core 2.5.1.4).
	var all []string
	for _, r := range restrictions {
		var got []string
		for _, a := range elChildren(r, assertNS, "Audience") {
			got = append(got, strings.TrimSpace(elText(a)))
		}
		all = append(all, got...)
		if !slices.Contains(got, want) {
			received := quoteAll(got)
			if len(got) == 0 {
				received = "an AudienceRestriction without an Audience"
			}
			return failed(ErrAudience, name, quote(want), received,
				fix(CodeIdentifier, "set Identifier (Entity ID) in Entra to "+quote(want), "value", want))
		}
	}
	return passed(quote(want), quoteAll(all))
}

func quoteAll(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}

// expectedRequests says which InResponseTo values this browser's sign-ins allow.
func expectedRequests(ids []string, idpInitiated bool) string {
	var want string
	switch {
	case len(ids) == 0 && idpInitiated:
		return "no InResponseTo: this browser started no sign-in here (IdP-initiated sign-in is allowed)"
	case len(ids) == 0:
		return "the answer to a sign-in started at this application (this browser started none)"
	case len(ids) == 1:
		want = "the answer to this browser's sign-in request " + quote(ids[0])
	default:
		want = "the answer to one of this browser's sign-in requests " + quoteAll(ids)
	}
	if idpInitiated {
		want += ", or no InResponseTo (IdP-initiated sign-in is allowed)"
	}
	return want
}

func checkInResponseTo(st *state) Check {
	const name = "in response to"
	signed := elAttr(st.subjectConfirmation, "InResponseTo")
	outer := elAttr(st.responseEl(), "InResponseTo")
	if signed != "" && outer != "" && signed != outer {
		return failed(ErrInResponseTo, name, "the same InResponseTo in Response and Assertion",
			"Response "+quote(outer)+", Assertion "+quote(signed), fix(CodeAltered, "the response was altered"))
	}
	id := signed
	if id == "" && outer != "" {
		// The Web SSO profile puts InResponseTo in the bearer confirmation of a solicited
		// response; on an unsigned Response alone it is not evidence of anything.
		if st.respV == nil {
			return failed(ErrInResponseTo, name, "InResponseTo in the signed SubjectConfirmationData",
				"InResponseTo "+quote(outer)+" only on the unsigned Response", fix(CodeInResponseToSigned, "the IdP must answer the request inside the signed assertion"))
		}
		id = outer
	}
	want := expectedRequests(st.requestIDs, st.sp.cfg.AllowIdPInitiated)
	if id == "" {
		if !st.sp.cfg.AllowIdPInitiated {
			return failed(ErrUnsolicited, name, want, "no InResponseTo (IdP-initiated login)",
				fix(CodeIdPInitiated, "start sign-in from this application, or allow IdP-initiated sign-in in this SP to accept logins started at the IdP (e.g. My Apps)"))
		}
		return passed(want, "none (IdP-initiated)")
	}
	if !slices.Contains(st.requestIDs, id) {
		return failed(ErrInResponseTo, name, want, quote(id),
			fix(CodeUnknownRequest, "the response answers a request this browser did not make or already used: sign in again from this application"))
	}
	st.inResponseTo = id
	return passed(want, quote(id))
}
