package orgs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

// Names of the Settings fields in a SettingsError; the same as their JSON names, so a
// form can use them as input names.
const (
	FieldLoginURL            = "login_url"
	FieldMetadataXML         = "metadata_xml"
	FieldMetadataURL         = "metadata_url"
	FieldCertificate         = "certificate"
	FieldIdPEntityID         = "idp_entity_id"
	FieldLogoutURL           = "logout_url"
	FieldAllowedEmailDomains = "allowed_email_domains"
	// The two check boxes: any non-empty value (a browser sends "on") means true.
	FieldSignedAssertions  = "signed_assertions"
	FieldAllowIdPInitiated = "allow_idp_initiated"
	// FieldVersion is the pending version number the form shows, for Save and Enable.
	FieldVersion = "version"
)

// SettingsError is a Save refused because of what the admin typed: a message per field,
// each saying what arrived and what to paste from the IdP instead. Nothing was stored.
type SettingsError struct {
	Fields map[string]string
	// Settings is what was submitted, normalized, minus anything that must not be sent
	// back to the browser (a private key pasted as the certificate): redisplay this.
	Settings Settings
}

func (e *SettingsError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("orgs: settings not saved:")
	for _, k := range keys {
		fmt.Fprintf(&b, " %s: %s;", k, e.Fields[k])
	}
	return strings.TrimSuffix(b.String(), ";")
}

// expiryWarning is how early Warnings reports an expiring IdP certificate (Entra emails
// its admins 60, 30 and 7 days before).
const expiryWarning = 30 * 24 * time.Hour

// Warnings returns what is worth telling the admin about s without refusing it, by
// field: today, certificates that expire within 30 days (or a rollover pair still
// holding an expired one).
func Warnings(s Settings, now time.Time) map[string]string {
	out := map[string]string{}
	cs, err := certs.Parse([]byte(s.Certificate))
	if err != nil {
		if idp, err := metadata.ParseIdP([]byte(s.MetadataXML)); err == nil {
			cs = idp.Certificates
		}
	}
	if msg, _ := expiryMessage(cs, now); msg != "" {
		out[FieldCertificate] = msg
	}
	return out
}

// normalize trims what the admin typed and puts e-mail domains in canonical form.
func (s Settings) normalize() Settings {
	s = s.clone()
	s.LoginURL = strings.TrimSpace(s.LoginURL)
	s.MetadataURL = strings.TrimSpace(s.MetadataURL)
	s.MetadataXML = strings.TrimSpace(s.MetadataXML)
	s.Certificate = strings.TrimSpace(s.Certificate)
	s.IdPEntityID = strings.TrimSpace(s.IdPEntityID)
	s.LogoutURL = strings.TrimSpace(s.LogoutURL)
	var ds []string
	for _, d := range s.AllowedEmailDomains {
		for _, f := range strings.FieldsFunc(d, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			f = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f), "@"))
			if f != "" && !contains(ds, f) {
				ds = append(ds, f)
			}
		}
	}
	s.AllowedEmailDomains = ds
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// idp checks s and builds the IdP it describes. checkDates refuses certificates none of
// which is valid at now: new settings are checked, the enabled configuration is not (so
// members are not locked out the moment a certificate expires while Entra still signs
// with it; Warnings reports it instead).
func (s Settings) idp(now time.Time, checkDates bool) (*metadata.IdP, error) {
	errs := map[string]string{}
	var idp *metadata.IdP
	switch {
	case s.MetadataURL != "":
		// Fetched by the Manager (remoteIdP): nothing to derive here.
		if s.LoginURL != "" || s.Certificate != "" || s.MetadataXML != "" {
			errs[FieldMetadataURL] = "Give either the metadata URL or the Login URL and certificate (or the metadata XML), not both: the metadata already holds them."
		}
	case s.MetadataXML != "":
		if s.LoginURL != "" || s.Certificate != "" {
			errs[FieldMetadataXML] = "Paste either the federation metadata XML or the Login URL and certificate, not both: the metadata already holds them."
			break
		}
		got, err := metadata.ParseIdP([]byte(s.MetadataXML))
		if err != nil {
			errs[FieldMetadataXML] = "This federation metadata cannot be used: " + err.Error() + `. In Entra, download "Federation Metadata XML" under SAML Certificates and paste the whole file.`
			break
		}
		if checkDates {
			if msg, bad := expiryMessage(got.Certificates, now); bad {
				errs[FieldMetadataXML] = msg
				break
			}
		}
		idp = got
	default:
		idp = s.pastedIdP(errs, now, checkDates)
	}
	if s.LogoutURL != "" && (s.MetadataURL != "" || s.MetadataXML != "") {
		errs[FieldLogoutURL] = "Leave the Logout URL empty when you give the IdP's metadata: it is read from there (SingleLogoutService)."
	}
	if idp != nil && s.IdPEntityID != "" {
		idp.EntityID = s.IdPEntityID
	}
	for _, d := range s.AllowedEmailDomains {
		if !validDomain(d) {
			errs[FieldAllowedEmailDomains] = fmt.Sprintf("%q is not an e-mail domain. List the domains of your members' addresses, e.g. example.com (the part after @), separated by commas.", d)
			break
		}
	}
	if len(errs) > 0 {
		shown := s.clone()
		if strings.Contains(errs[FieldCertificate], "private key") {
			shown.Certificate = ""
		}
		return nil, &SettingsError{Fields: errs, Settings: shown}
	}
	return idp, nil
}

// pastedIdP reads a Login URL and certificate as pasted from Entra or another IdP.
func (s Settings) pastedIdP(errs map[string]string, now time.Time, checkDates bool) *metadata.IdP {
	var cs []*x509.Certificate
	if s.Certificate == "" {
		errs[FieldCertificate] = `Required. Paste the IdP's signing certificate: in Entra, download "Certificate (Base64)" under SAML Certificates and paste the whole file, BEGIN and END lines included.`
	} else if parsed, err := certs.ParseSigning([]byte(s.Certificate)); err != nil {
		errs[FieldCertificate] = certificateMessage(err)
	} else if msg, bad := expiryMessage(parsed, now); checkDates && bad {
		errs[FieldCertificate] = msg
	} else {
		cs = parsed
	}

	// The Login URL and entity ID are read by package metadata, so every app shows the
	// same field-level messages (Entra addresses pasted by mistake included): FromAzure
	// for an Entra address, NewIdP for any other IdP. The certificate was read above.
	var idp *metadata.IdP
	var err error
	switch u := s.LoginURL; {
	case u == "":
		errs[FieldLoginURL] = `Required. Paste the IdP's sign-on URL: in Entra, "Login URL" in section 4 ("Set up …") of the application's Single sign-on page.`
	case metadata.LooksLikeEntra(u):
		idp, err = metadata.FromAzure(u, s.Certificate)
	default:
		idp, err = metadata.NewIdP(s.IdPEntityID, u, s.Certificate)
	}
	for _, e := range metadata.Problems(err) {
		if f := formField(e.Field); f != "" && f != FieldCertificate && errs[f] == "" {
			errs[f] = problemMessage(e)
		}
	}
	if s.LogoutURL != "" {
		if msg := httpsURLMessage(s.LogoutURL, `Paste the IdP's Single Logout URL, e.g. Entra's "Logout URL" https://login.microsoftonline.com/<tenant-id>/saml2 (section 4 of the Single sign-on page), or leave it empty.`); msg != "" {
			errs[FieldLogoutURL] = msg
		} else if idp != nil {
			idp.SLOURL, idp.SLOBinding = s.LogoutURL, metadata.BindingHTTPRedirect
			if idp.LogoutResponseIssuer == "" {
				idp.LogoutResponseIssuer = entraLikeLogoutIssuer(s.LogoutURL, idp.EntityID)
			}
		}
	}
	if idp == nil || cs == nil {
		return nil
	}
	idp.Certificates = cs
	return idp
}

// httpsURLMessage says why u is not an absolute https URL (plain http only on this
// machine), or "".
func httpsURLMessage(u, fix string) string {
	p, err := url.Parse(u)
	switch {
	case err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http"):
		return fmt.Sprintf("%q is not an absolute https URL. %s", u, fix)
	case p.Scheme == "http" && !isLoopback(p.Hostname()):
		return fmt.Sprintf("%q uses plain http. Use the IdP's https URL (plain http is accepted only for an IdP on this machine). %s", u, fix)
	}
	return ""
}

// entraLikeLogoutIssuer is the Issuer of the LogoutResponses of an IdP that answers as
// Entra does although not on Entra's hosts (the demo IdP): entity ID
// https://sts.windows.net/<tenant>/ and Logout URL …/<tenant>/saml2 give …/<tenant>/.
// "" otherwise: the IdP's LogoutResponses then carry its entity ID.
func entraLikeLogoutIssuer(logoutURL, entityID string) string {
	tid, ok := strings.CutPrefix(entityID, "https://sts.windows.net/")
	tid, _ = strings.CutSuffix(tid, "/")
	if !ok || tid == "" || strings.Contains(tid, "/") {
		return ""
	}
	p, err := url.Parse(logoutURL)
	if err != nil || p.RawQuery != "" || !strings.HasSuffix(p.Path, "/"+tid+"/saml2") {
		return ""
	}
	return p.Scheme + "://" + p.Host + strings.TrimSuffix(p.Path, "saml2")
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// expiryMessage describes the certificates' validity at now. bad means none of them is
// valid, so nothing could be verified; otherwise msg, if any, is a warning.
func expiryMessage(cs []*x509.Certificate, now time.Time) (msg string, bad bool) {
	var valid, problems []string
	for _, c := range cs {
		tp := certs.Thumbprint(c)
		switch err := certs.CheckExpiry(c, now, expiryWarning); {
		case err == nil:
			valid = append(valid, tp)
		case errors.Is(err, certs.ErrExpiresSoon):
			valid = append(valid, tp)
			problems = append(problems, fmt.Sprintf("The certificate with thumbprint %s expires on %s. In Entra, add a new certificate under SAML Certificates before then, make it active, and paste both here during the switch.",
				tp, c.NotAfter.UTC().Format("2 Jan 2006")))
		case errors.Is(err, certs.ErrExpired):
			problems = append(problems, fmt.Sprintf("The certificate with thumbprint %s expired on %s. In Entra, create a new certificate under SAML Certificates, make it active, and paste it here.",
				tp, c.NotAfter.UTC().Format("2 Jan 2006")))
		default:
			problems = append(problems, fmt.Sprintf("The certificate with thumbprint %s is not valid until %s.", tp, c.NotBefore.UTC().Format("2 Jan 2006 15:04 MST")))
		}
	}
	return strings.Join(problems, " "), len(cs) > 0 && len(valid) == 0
}

// formField is the Settings field of a metadata.Error's Field, "" for none.
func formField(f string) string {
	switch f {
	case metadata.FieldSSOURL:
		return FieldLoginURL
	case metadata.FieldEntityID:
		return FieldIdPEntityID
	case metadata.FieldCertificate:
		return FieldCertificate
	}
	return ""
}

// problemMessage is a metadata.Error as the admin reads it under its field: what was
// found, what was expected, and what to paste instead.
func problemMessage(e *metadata.Error) string {
	if e.Field == metadata.FieldEntityID && strings.HasPrefix(e.Found, "nothing") {
		return "Required when the sign-on URL is not Entra's: " + e.Expected + "."
	}
	msg := "This is not the " + e.Field + ": found " + e.Found + "."
	if e.Expected != "" {
		msg += " Expected " + e.Expected + "."
	}
	if e.Hint != "" {
		msg += " " + upperFirst(e.Hint) + "."
	}
	return msg
}

func certificateMessage(err error) string {
	var ie *certs.InputError
	if !errors.As(err, &ie) {
		return err.Error()
	}
	msg := "This is not a certificate: found " + ie.Found + "."
	if errors.Is(err, certs.ErrMalformed) {
		msg = "This certificate is damaged: found " + ie.Found + "."
	}
	if ie.Hint != "" {
		msg += " " + upperFirst(ie.Hint) + "."
	}
	if strings.Contains(ie.Found, "private key") {
		msg += " It was removed from the form and not saved."
	}
	return msg
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Validate checks s as Save does (without authorization or storing) and returns it
// normalized, or a *SettingsError. For code that writes a Store itself, e.g. an
// operator's command line preconfiguring an organization.
func Validate(s Settings, now time.Time) (Settings, error) {
	s = s.normalize()
	if _, err := s.idp(now, true); err != nil {
		return s, err
	}
	return s, nil
}
