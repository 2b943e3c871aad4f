package demoidp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// Entra's claim names (attribute Name URIs).
const (
	ClaimTenantID         = "http://schemas.microsoft.com/identity/claims/tenantid"
	ClaimObjectID         = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	ClaimDisplayName      = "http://schemas.microsoft.com/identity/claims/displayname"
	ClaimIdentityProvider = "http://schemas.microsoft.com/identity/claims/identityprovider"
	ClaimAuthnMethods     = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	ClaimEmail            = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	ClaimGivenName        = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	ClaimSurname          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	ClaimName             = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	ClaimGroups           = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	ClaimGroupsLink       = "http://schemas.microsoft.com/claims/groups.link"
)

// maxSAMLGroups is how many groups Entra puts in a SAML token; above it, it sends a
// groups.link claim to fetch them from Microsoft Graph instead.
const maxSAMLGroups = 150

const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"

	passwordClassRef  = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	passwordMethodRef = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"

	// Entra's lifetimes: the bearer confirmation is good for 5 minutes, the conditions for
	// 70 minutes from NotBefore, which is 5 minutes before issuance.
	confirmationLifetime = 5 * time.Minute
	conditionsBackdate   = 5 * time.Minute
	conditionsLifetime   = 70 * time.Minute
)

// respond makes the assertion for a signed-in user and posts it to the application.
func (d *IdP) respond(w http.ResponseWriter, req *saml.IdpAuthnRequest, session *saml.Session) {
	if err := (assertionMaker{d}).MakeAssertion(req, session); err != nil {
		var statusErr *saml.StatusError
		if errors.As(err, &statusErr) {
			if err := d.idp.Load().SendErrorResponse(w, req, statusErr); err != nil {
				d.renderError(w, http.StatusInternalServerError, err.Error())
			}
			return
		}
		d.renderError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if err := (responseWriter{d}).WriteResponse(w, req); err != nil {
		d.renderError(w, http.StatusInternalServerError, err.Error())
	}
}

// assertionMaker builds the assertion the way Entra fills it: its claims, its lifetimes,
// its NameID rules.
type assertionMaker struct{ d *IdP }

func (m assertionMaker) MakeAssertion(req *saml.IdpAuthnRequest, session *saml.Session) error {
	d := m.d
	u, ok := d.users[strings.ToLower(session.UserName)]
	if !ok {
		return fmt.Errorf("demoidp: unknown user %q", session.UserName)
	}
	spID := req.ServiceProviderMetadata.EntityID
	if u.NotAssigned {
		return &saml.StatusError{
			TopLevel:    saml.StatusRequester,
			SecondLevel: saml.StatusRequestDenied,
			Message: fmt.Sprintf("AADSTS50105: Your administrator has configured the application %s to block users unless they are specifically granted ('assigned') access to the application. "+
				"The signed in user '%s' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator.", spID, u.Username),
		}
	}
	nameID, err := d.nameID(req, u, spID)
	if err != nil {
		return err
	}
	now := d.now().UTC()
	attr := func(name string, values ...string) saml.Attribute {
		a := saml.Attribute{Name: name}
		for _, v := range values {
			a.Values = append(a.Values, saml.AttributeValue{Value: v})
		}
		return a
	}
	attrs := []saml.Attribute{
		attr(ClaimTenantID, d.tenant),
		attr(ClaimObjectID, u.ObjectID),
		attr(ClaimDisplayName, u.DisplayName),
		attr(ClaimIdentityProvider, d.EntityID()),
		attr(ClaimAuthnMethods, passwordMethodRef),
	}
	if u.Email != "" {
		attrs = append(attrs, attr(ClaimEmail, u.Email))
	}
	if u.GivenName != "" {
		attrs = append(attrs, attr(ClaimGivenName, u.GivenName))
	}
	if u.Surname != "" {
		attrs = append(attrs, attr(ClaimSurname, u.Surname))
	}
	attrs = append(attrs, attr(ClaimName, u.Username))
	switch {
	case len(u.Groups) > maxSAMLGroups:
		attrs = append(attrs, attr(ClaimGroupsLink, "https://graph.windows.net/"+d.tenant+"/users/"+u.ObjectID+"/getMemberObjects"))
	case len(u.Groups) > 0:
		attrs = append(attrs, attr(ClaimGroups, u.Groups...))
	}

	d.sessions.join(session.ID, participant{entityID: spID, nameID: nameID.Value, nameIDFormat: nameID.Format, sessionIndex: session.Index})
	notBefore := now.Add(-conditionsBackdate)
	req.Assertion = &saml.Assertion{
		ID:           "_" + guid(),
		IssueInstant: now,
		Version:      "2.0",
		Issuer:       saml.Issuer{Value: d.EntityID()},
		Subject: &saml.Subject{
			NameID: nameID,
			SubjectConfirmations: []saml.SubjectConfirmation{{
				Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &saml.SubjectConfirmationData{
					InResponseTo: req.Request.ID,
					NotOnOrAfter: now.Add(confirmationLifetime),
					Recipient:    req.ACSEndpoint.Location,
				},
			}},
		},
		Conditions: &saml.Conditions{
			NotBefore:            notBefore,
			NotOnOrAfter:         notBefore.Add(conditionsLifetime),
			AudienceRestrictions: []saml.AudienceRestriction{{Audience: saml.Audience{Value: spID}}},
		},
		AttributeStatements: []saml.AttributeStatement{{Attributes: attrs}},
		AuthnStatements: []saml.AuthnStatement{{
			AuthnInstant: session.CreateTime.UTC(),
			SessionIndex: session.Index,
			AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{Value: passwordClassRef}},
		}},
	}
	return nil
}

// nameID follows Entra: a format the request asks for wins, otherwise the configured one.
func (d *IdP) nameID(req *saml.IdpAuthnRequest, u User, spID string) (*saml.NameID, error) {
	format := d.cfg.NameIDFormat
	if p := req.Request.NameIDPolicy; p != nil && p.Format != nil && *p.Format != "" && *p.Format != NameIDUnspecified {
		format = *p.Format
	}
	switch format {
	case "", NameIDEmail:
		return &saml.NameID{Format: NameIDEmail, Value: u.Username}, nil
	case NameIDPersistent:
		sum := sha256.Sum256([]byte(d.tenant + "|" + u.ObjectID + "|" + spID))
		return &saml.NameID{Format: NameIDPersistent, Value: base64.RawURLEncoding.EncodeToString(sum[:])}, nil
	case NameIDTransient:
		return &saml.NameID{Format: NameIDTransient, Value: "_" + guid()}, nil
	}
	return nil, &saml.StatusError{
		TopLevel:    saml.StatusRequester,
		SecondLevel: saml.StatusInvalidNameIDPolicy,
		Message:     fmt.Sprintf("AADSTS75016: SAML2 Authentication Request has invalid NameIDPolicy: %s.", format),
	}
}

// responseWriter renders and signs the Response in Entra's shape and posts it with an
// auto-submitting form.
type responseWriter struct{ d *IdP }

func (rw responseWriter) WriteResponse(w http.ResponseWriter, req *saml.IdpAuthnRequest) error {
	var respEl *etree.Element
	if req.Assertion == nil {
		// An error Response made by crewjam (SendErrorResponse): send it as it is.
		if req.ResponseEl == nil {
			return errors.New("demoidp: nothing to send")
		}
		respEl = req.ResponseEl
	} else {
		var err error
		if respEl, err = rw.d.response(req); err != nil {
			return err
		}
		req.ResponseEl = respEl
	}
	doc := etree.NewDocument()
	doc.SetRoot(respEl.Copy())
	raw, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := postForm.Execute(&buf, postFormData{
		URL:          req.ACSEndpoint.Location,
		SAMLResponse: base64.StdEncoding.EncodeToString(raw),
		RelayState:   req.RelayState,
	}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

// response builds the signed Response element for req.Assertion.
func (d *IdP) response(req *saml.IdpAuthnRequest) (*etree.Element, error) {
	a := req.Assertion
	signing := d.Signing()
	assertionEl := assertionElement(a)
	if signing == SignAssertion || signing == SignResponseAndAssertion {
		var err error
		if assertionEl, err = d.sign(assertionEl); err != nil {
			return nil, err
		}
	}

	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", nsProtocol)
	resp.CreateAttr("ID", "_"+guid())
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", samlTime(a.IssueInstant))
	resp.CreateAttr("Destination", req.ACSEndpoint.Location)
	if req.Request.ID != "" {
		resp.CreateAttr("InResponseTo", req.Request.ID)
	}
	issuer := resp.CreateElement("Issuer")
	issuer.CreateAttr("xmlns", nsAssertion)
	issuer.SetText(d.EntityID())
	status := resp.CreateElement("samlp:Status")
	status.CreateElement("samlp:StatusCode").CreateAttr("Value", saml.StatusSuccess)
	resp.AddChild(assertionEl)
	if signing == SignResponse || signing == SignResponseAndAssertion {
		return d.sign(resp)
	}
	return resp, nil
}

// sign returns a copy of el with an enveloped RSA-SHA256 signature placed right after its
// Issuer, where the SAML schema (and Entra) put it.
func (d *IdP) sign(el *etree.Element) (*etree.Element, error) {
	kp := d.signingKey()
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Certificate.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Prefix = ""
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		return nil, err
	}
	sig := signed.Child[len(signed.Child)-1]
	signed.RemoveChildAt(len(signed.Child) - 1)
	signed.InsertChildAt(1, sig) // child 0 is the Issuer
	return signed, nil
}

func assertionElement(a *saml.Assertion) *etree.Element {
	el := etree.NewElement("Assertion")
	el.CreateAttr("ID", a.ID)
	el.CreateAttr("IssueInstant", samlTime(a.IssueInstant))
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("xmlns", nsAssertion)
	el.CreateElement("Issuer").SetText(a.Issuer.Value)

	subject := el.CreateElement("Subject")
	nameID := subject.CreateElement("NameID")
	nameID.CreateAttr("Format", a.Subject.NameID.Format)
	nameID.SetText(a.Subject.NameID.Value)
	sc := a.Subject.SubjectConfirmations[0]
	scEl := subject.CreateElement("SubjectConfirmation")
	scEl.CreateAttr("Method", sc.Method)
	scd := scEl.CreateElement("SubjectConfirmationData")
	if sc.SubjectConfirmationData.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", sc.SubjectConfirmationData.InResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", samlTime(sc.SubjectConfirmationData.NotOnOrAfter))
	scd.CreateAttr("Recipient", sc.SubjectConfirmationData.Recipient)

	cond := el.CreateElement("Conditions")
	cond.CreateAttr("NotBefore", samlTime(a.Conditions.NotBefore))
	cond.CreateAttr("NotOnOrAfter", samlTime(a.Conditions.NotOnOrAfter))
	for _, ar := range a.Conditions.AudienceRestrictions {
		cond.CreateElement("AudienceRestriction").CreateElement("Audience").SetText(ar.Audience.Value)
	}

	stmt := el.CreateElement("AttributeStatement")
	for _, at := range a.AttributeStatements[0].Attributes {
		atEl := stmt.CreateElement("Attribute")
		atEl.CreateAttr("Name", at.Name)
		for _, v := range at.Values {
			atEl.CreateElement("AttributeValue").SetText(v.Value)
		}
	}

	authn := a.AuthnStatements[0]
	an := el.CreateElement("AuthnStatement")
	an.CreateAttr("AuthnInstant", samlTime(authn.AuthnInstant))
	an.CreateAttr("SessionIndex", authn.SessionIndex)
	an.CreateElement("AuthnContext").CreateElement("AuthnContextClassRef").SetText(authn.AuthnContext.AuthnContextClassRef.Value)
	return el
}

// samlTime formats like Entra: UTC, milliseconds, Z.
func samlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// guid is a random version-4 UUID, the form of Entra's IDs (after a leading underscore, so
// that an ID never starts with a digit).
func guid() string {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", raw[0:4], raw[4:6], raw[6:8], raw[8:10], raw[10:16])
}

type postFormData struct {
	URL, SAMLResponse, RelayState string
}

var postForm = template.Must(template.New("post").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Working...</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="{{.URL}}">
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}
<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form></body></html>`))
