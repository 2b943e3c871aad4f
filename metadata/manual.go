package metadata

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"

	"github.com/ssokit/saml/certs"
)

// maxEntityID is the SAML metadata schema's bound on an entityID (md:entityIDType).
const maxEntityID = 1024

// NewIdP builds the IdP an admin configures by hand, for an IdP without metadata: its
// entity ID (the Issuer of its responses), its single sign-on URL (HTTP-Redirect) and
// its signing certificates as pasted (any form certs.Parse reads; several strings or
// several PEM blocks during a rollover). Values are checked as FromAzure checks them,
// with the same messages: certificate authorities are refused as signers, and addresses
// an Entra admin copies by mistake are recognised. For Entra itself, FromAzure needs
// only the Login URL and the certificate.
//
// Every field is checked; the error joins one *Error per field that is wrong (Field is
// FieldSSOURL, FieldEntityID or FieldCertificate), so a form can show each under its
// field: see Problems. Plain http is accepted only for an IdP on this machine
// (localhost, a loopback address). Set SLOURL on the result for Single Logout.
func NewIdP(entityID, ssoURL string, certificates ...string) (*IdP, error) {
	var errs []error
	sso, err := checkSSOURL(ssoURL)
	if err != nil {
		errs = append(errs, err)
	}
	id, err := checkEntityID(entityID)
	if err != nil {
		errs = append(errs, err)
	}
	cs, err := parseCertificates(certificates)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &IdP{EntityID: id, SSOURL: sso, SSOBinding: BindingHTTPRedirect, Certificates: cs}, nil
}

// Problems lists the *Error values in err, one per field for NewIdP, in order; an app
// renders each under Field. An error that is not this package's is returned as an
// *Error of kind ErrMalformed carrying it.
func Problems(err error) []*Error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, e := range j.Unwrap() {
			out = append(out, Problems(e)...)
		}
		return out
	}
	var me *Error
	if errors.As(err, &me) {
		return []*Error{me}
	}
	return []*Error{{Kind: ErrMalformed, Err: err}}
}

func ssoErr(found, hint string) error {
	return &Error{Kind: ErrLoginURL, Field: FieldSSOURL, Found: found,
		Expected: "the IdP's single sign-on URL (HTTP-Redirect), e.g. https://idp.example.com/saml/sso", Hint: hint}
}

func checkSSOURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ssoErr("nothing (empty)", `copy the IdP's single sign-on URL (in Entra: "Login URL" on the application's Single sign-on page)`)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", ssoErr(fmt.Sprintf("%q, which is not an absolute https URL", s), "paste the whole address, starting with https://")
	}
	if err := misplacedEntraURL(s, u); err != nil {
		return "", err
	}
	if err := federationMetadataURL(s, u); err != nil {
		return "", err
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return "", ssoErr(fmt.Sprintf("%q, which uses plain http", s), "use the IdP's https address; plain http is accepted only for an IdP on this machine")
	}
	if u.User != nil || u.Fragment != "" {
		return "", ssoErr(fmt.Sprintf("%q with a user name or fragment", s), "paste the address exactly as the IdP shows it")
	}
	if q := u.Query(); q.Has("SAMLRequest") || q.Has("SAMLResponse") {
		return "", ssoErr(fmt.Sprintf("%q with a SAML message in its query", s),
			"this is a sign-in redirect someone copied from the browser; copy the single sign-on URL from the IdP's settings instead")
	}
	return s, nil
}

func entityErr(found, hint string) error {
	return &Error{Kind: ErrEntityID, Field: FieldEntityID, Found: found,
		Expected: `the IdP's entity ID, the Issuer of its responses (entityID in its metadata; in Entra: "Microsoft Entra Identifier")`, Hint: hint}
}

func checkEntityID(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", entityErr("nothing (empty)", "copy it from the IdP's settings or metadata")
	case strings.Contains(s, "-----BEGIN"):
		return "", entityErr("a certificate", "paste the certificate into the certificate field, and the IdP's entity ID here")
	case len(s) > maxEntityID:
		return "", entityErr(fmt.Sprintf("%d characters", len(s)), fmt.Sprintf("an entity ID has at most %d characters", maxEntityID))
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", entityErr(fmt.Sprintf("%q, which contains spaces or line breaks", s), "an entity ID is one URI without spaces; copy it again")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "", entityErr(fmt.Sprintf("%q, which is not an absolute URI", s), "an entity ID is a URL (https://…) or a URN (urn:…)")
	}
	host := strings.ToLower(u.Hostname())
	if _, ok := entraIssuers[host]; ok {
		tid := strings.Split(strings.Trim(u.Path, "/"), "/")[0]
		hint := `in Entra, the entity ID is the "Microsoft Entra Identifier" shown beside the Login URL`
		if issuer := entraIssuers[host]; tenantGUID.MatchString(tid) {
			hint += ": " + issuer + "/" + strings.ToLower(tid) + "/"
		}
		return "", entityErr(fmt.Sprintf("%q, which is an Entra sign-in address, not an identifier", s), hint)
	}
	return s, nil
}

// parseCertificates reads every pasted text and checks the set as one IdP's signers.
func parseCertificates(texts []string) ([]*x509.Certificate, error) {
	var all []*x509.Certificate
	seen := map[string]bool{}
	nonEmpty := 0
	for _, t := range texts {
		if strings.TrimSpace(t) == "" {
			continue
		}
		nonEmpty++
		cs, err := certs.Parse([]byte(t))
		if err != nil {
			return nil, &Error{Kind: ErrCertificate, Field: FieldCertificate, Err: err}
		}
		for _, c := range cs {
			if fp := certs.Fingerprint256(c); !seen[fp] {
				seen[fp] = true
				all = append(all, c)
			}
		}
	}
	if nonEmpty == 0 {
		_, err := certs.Parse(nil) // the same message as an empty paste into FromAzure
		return nil, &Error{Kind: ErrCertificate, Field: FieldCertificate, Err: err}
	}
	if err := certs.CheckSigning(all); err != nil {
		return nil, &Error{Kind: ErrCertificate, Field: FieldCertificate, Err: err}
	}
	return all, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
