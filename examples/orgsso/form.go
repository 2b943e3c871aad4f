package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

// Form field names; tests and templates use the same.
const (
	fieldSignOnURL   = "sign_on_url"
	fieldIdPEntityID = "idp_entity_id"
	fieldCertificate = "certificate"
	fieldSigned      = "signed_assertions"
	fieldIdPInit     = "allow_idp_initiated"
)

// expiryWarning is how early the settings page warns about an expiring IdP certificate
// (Entra emails its admins 60, 30 and 7 days before).
const expiryWarning = 30 * 24 * time.Hour

// settingsFromForm reads the SSO form as the admin submitted it.
func settingsFromForm(r *http.Request) IdPSettings {
	return IdPSettings{
		SignOnURL:         strings.TrimSpace(r.PostFormValue(fieldSignOnURL)),
		IdPEntityID:       strings.TrimSpace(r.PostFormValue(fieldIdPEntityID)),
		Certificate:       strings.TrimSpace(r.PostFormValue(fieldCertificate)),
		SignedAssertions:  r.PostFormValue(fieldSigned) != "",
		AllowIdPInitiated: r.PostFormValue(fieldIdPInit) != "",
	}
}

// fieldErrors maps a form field to what is wrong with it.
type fieldErrors map[string]string

// idpFromSettings checks what the admin pasted and builds the IdP it describes. Field
// errors say what arrived and what to copy from the IdP instead; warnings do not block
// saving. A private key pasted as the certificate is removed from s, so the page never
// sends it back to the browser.
//
// checkDates refuses certificates none of which is valid now. New settings are checked;
// the enabled configuration is not, so members are not locked out the moment a
// certificate expires (Entra keeps signing with it); the settings page warns instead.
func (a *App) idpFromSettings(s *IdPSettings, checkDates bool) (*metadata.IdP, fieldErrors, fieldErrors) {
	errs, warns := fieldErrors{}, fieldErrors{}

	var cs []*x509.Certificate
	switch {
	case s.Certificate == "":
		errs[fieldCertificate] = `Required. Paste the IdP's signing certificate: in Entra, download "Certificate (Base64)" under SAML Certificates and paste the whole file, BEGIN and END lines included.`
	default:
		parsed, err := certs.ParseSigning([]byte(s.Certificate))
		if err != nil {
			errs[fieldCertificate] = certificateMessage(err)
			var ie *certs.InputError
			if errors.As(err, &ie) && strings.Contains(ie.Found, "private key") {
				s.Certificate = ""
				errs[fieldCertificate] += " It was removed from the form and not saved."
			}
			break
		}
		cs = parsed
		if checkDates {
			if msg, bad := expiryMessage(parsed, a.now()); bad {
				errs[fieldCertificate] = msg
			} else if msg != "" {
				warns[fieldCertificate] = msg
			}
		}
	}

	var idp *metadata.IdP
	switch u := s.SignOnURL; {
	case u == "":
		errs[fieldSignOnURL] = `Required. Paste the IdP's sign-on URL: in Entra, "Login URL" in section 4 ("Set up …") of the application's Single sign-on page.`
	case metadata.LooksLikeEntra(u):
		// FromAzure checks the Login URL before the certificate (and recognises the other
		// Entra addresses pasted by mistake); a certificate error was already reported
		// above from the same certs.ParseSigning.
		got, err := metadata.FromAzure(u, s.Certificate)
		var me *metadata.Error
		switch {
		case errors.Is(err, metadata.ErrLoginURL) && errors.As(err, &me):
			errs[fieldSignOnURL] = loginURLMessage(me)
		case err == nil:
			idp = got
		}
	default:
		entityID := s.IdPEntityID
		if entityID == "" && a.demo != nil && u == a.demo.LoginURL() {
			entityID = a.demo.EntityID()
		}
		got, err := metadata.NewIdP(entityID, u, s.Certificate)
		for _, p := range metadata.Problems(err) {
			switch p.Field {
			case metadata.FieldSSOURL:
				errs[fieldSignOnURL] = problemMessage("This is not a usable sign-on URL", p)
			case metadata.FieldEntityID:
				if entityID == "" {
					errs[fieldIdPEntityID] = "Required when the Sign-on URL is not Entra's: the IdP's Entity ID, i.e. the Issuer of its responses (entityID in its metadata)."
				} else {
					errs[fieldIdPEntityID] = problemMessage("This is not a usable Entity ID", p)
				}
			} // certificate problems were reported above from the same certs.ParseSigning
		}
		idp = got
	}
	if idp != nil && s.IdPEntityID != "" {
		idp.EntityID = s.IdPEntityID
	}
	if len(errs) > 0 {
		return nil, errs, warns
	}
	idp.Certificates = cs
	return idp, errs, warns
}

// expiryMessage describes the certificates' validity at now. bad means none of them is
// valid, so nothing could be verified; otherwise msg, if any, is a warning (one expires
// soon, or a rollover pair still holds an expired one).
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
		default: // not yet valid
			problems = append(problems, fmt.Sprintf("The certificate with thumbprint %s is not valid until %s.", tp, c.NotBefore.UTC().Format("2 Jan 2006 15:04 MST")))
		}
	}
	return strings.Join(problems, " "), len(valid) == 0
}

// problemMessage renders a metadata problem under its form field.
func problemMessage(lead string, e *metadata.Error) string {
	msg := lead + ": found " + e.Found + "."
	if e.Hint != "" {
		msg += " " + upperFirst(e.Hint) + "."
	}
	return msg
}

func loginURLMessage(e *metadata.Error) string {
	msg := "This is not Entra's Login URL: found " + e.Found + "."
	if e.Hint != "" {
		msg += " " + upperFirst(e.Hint) + "."
	}
	return msg + ` Expected the form https://login.microsoftonline.com/<tenant-id>/saml2, shown as "Login URL" in section 4 of the Single sign-on page.`
}

func certificateMessage(err error) string {
	var ie *certs.InputError
	if !errors.As(err, &ie) {
		return err.Error()
	}
	msg := "This is not a certificate: found " + ie.Found + "."
	if errors.Is(err, certs.ErrNotSigning) {
		msg = "This is not the IdP's signing certificate alone: found " + ie.Found + "."
	}
	if errors.Is(err, certs.ErrMalformed) {
		msg = "This certificate is damaged: found " + ie.Found + "."
	}
	if ie.Hint != "" {
		msg += " " + upperFirst(ie.Hint) + "."
	}
	return msg
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
