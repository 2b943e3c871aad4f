package orgs

import (
	"fmt"
	"strings"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp"
)

// The guardrails against one organization's IdP signing in users of another: checked
// on every member sign-in after the response validated, and reported by tests as two
// more checks of the Diagnosis.

const (
	checkEmailDomain = "email domain"
	checkTenant      = "Entra tenant"
)

// guard runs the guardrails of s on a validated (or, in a test, signed) assertion. It
// returns the checks in order; a failed one carries an error wrapping ErrEmailDomain or
// ErrTenant.
func guard(s Settings, issuer string, a *assertion.Assertion) []sp.Check {
	return []sp.Check{emailDomainCheck(s.AllowedEmailDomains, a), tenantCheck(issuer, a)}
}

// addresses are the user's e-mail addresses as the IdP asserted them: the e-mail claim,
// the name claim (Entra's UPN) and an e-mail-shaped NameID.
func addresses(a *assertion.Assertion) []string {
	var out []string
	for _, name := range []string{assertion.ClaimEmail, assertion.ClaimName} {
		for _, v := range a.Attributes[name].Values {
			if strings.Contains(v, "@") && !contains(out, v) {
				out = append(out, v)
			}
		}
	}
	if v := a.NameID.Value; strings.Contains(v, "@") && !contains(out, v) {
		out = append(out, v)
	}
	return out
}

func emailDomainCheck(allowed []string, a *assertion.Assertion) sp.Check {
	c := sp.Check{Name: checkEmailDomain}
	if len(allowed) == 0 {
		c.Status, c.Received = sp.NotRun, "no allowed e-mail domains configured"
		return c
	}
	c.Expected = "addresses under " + strings.Join(allowed, ", ")
	if a == nil {
		c.Status, c.Received = sp.NotRun, "no signed assertion to read addresses from"
		return c
	}
	addrs := addresses(a)
	c.Received = strings.Join(addrs, ", ")
	var outside []string
	for _, addr := range addrs {
		domain := strings.ToLower(addr[strings.LastIndex(addr, "@")+1:])
		if !contains(allowed, domain) {
			outside = append(outside, addr)
		}
	}
	switch {
	case len(addrs) == 0:
		c.Received = "no e-mail address, UPN or e-mail NameID"
		c.Fix = "send the user's e-mail address: in Entra, Attributes & Claims → emailaddress (user.mail) or Unique User Identifier (user.userprincipalname); or clear the allowed e-mail domains"
	case len(outside) > 0:
		c.Fix = fmt.Sprintf("%s is outside this organization's allowed e-mail domains: add its domain to them if it belongs to this organization, or sign in with an account of the organization", strings.Join(outside, ", "))
	default:
		c.Status = sp.Passed
		return c
	}
	c.Status = sp.Failed
	c.Err = fmt.Errorf("%w: got %s; expected %s — %s", ErrEmailDomain, c.Received, c.Expected, c.Fix)
	return c
}

// entraTenant returns the tenant ID in an Entra issuer (https://sts.windows.net/<tenant>/),
// or "".
func entraTenant(issuer string) string {
	t, ok := strings.CutPrefix(issuer, "https://sts.windows.net/")
	if !ok {
		return ""
	}
	t, _ = strings.CutSuffix(t, "/")
	if t == "" || strings.Contains(t, "/") {
		return ""
	}
	return t
}

func tenantCheck(issuer string, a *assertion.Assertion) sp.Check {
	c := sp.Check{Name: checkTenant}
	tenant := entraTenant(issuer)
	if tenant == "" {
		c.Status, c.Received = sp.NotRun, "the configured issuer is not an Entra tenant"
		return c
	}
	c.Expected = "tenantid " + tenant + " (the tenant of issuer " + issuer + ")"
	if a == nil {
		c.Status, c.Received = sp.NotRun, "no signed assertion"
		return c
	}
	got := a.Attributes[assertion.ClaimTenantID].Values
	switch {
	case len(got) == 0:
		c.Status, c.Received = sp.Passed, "no tenantid claim"
		return c
	case len(got) == 1 && strings.EqualFold(got[0], tenant):
		c.Status, c.Received = sp.Passed, "tenantid "+got[0]
		return c
	}
	c.Status, c.Received = sp.Failed, "tenantid "+strings.Join(got, ", ")
	c.Fix = "the response comes from another Entra tenant than the configured issuer: paste the Login URL and certificate of this organization's own tenant"
	c.Err = fmt.Errorf("%w: got %s; expected %s — %s", ErrTenant, c.Received, c.Expected, c.Fix)
	return c
}

// diagnoseWithGuards adds the guardrail checks to a test's Diagnosis: run on the signed
// assertion, so an admin sees them even when another check failed; any failure makes the
// test fail.
func diagnoseWithGuards(d *sp.Diagnosis, s Settings, issuer string) *sp.Diagnosis {
	for _, c := range guard(s, issuer, d.Signed) {
		d.Checks = append(d.Checks, c)
		if c.Status == sp.Failed {
			d.OK, d.Assertion = false, nil
		}
	}
	return d
}
