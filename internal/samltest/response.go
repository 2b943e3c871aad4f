package samltest

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Namespaces, as Entra writes them.
const (
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"
	NSXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
)

// Values Entra writes.
const (
	StatusSuccess   = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	StatusResponder = "urn:oasis:names:tc:SAML:2.0:status:Responder"

	NameIDEmail      = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	Bearer           = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

	ClaimTenantID      = "http://schemas.microsoft.com/identity/claims/tenantid"
	ClaimObjectID      = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	ClaimDisplayName   = "http://schemas.microsoft.com/identity/claims/displayname"
	ClaimIdP           = "http://schemas.microsoft.com/identity/claims/identityprovider"
	ClaimAuthnMethods  = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	ClaimGivenName     = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	ClaimSurname       = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	ClaimEmail         = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	ClaimName          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	ClaimGroups        = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	ClaimGroupsOverage = "http://schemas.microsoft.com/claims/groups.link"
)

// Default identity of the signed-in user.
const (
	UserEmail       = "adele.vance@contoso.example"
	UserObjectID    = "5f2b8c1d-7e4a-4b9f-a3c6-1d8e2f0b7a94"
	UserDisplayName = "Adele Vance"
	UserGivenName   = "Adele"
	UserSurname     = "Vance"
)

// Placement says which elements carry a signature (Entra's "Signing Option").
type Placement int

const (
	SignAssertion Placement = iota // "Sign SAML assertion", Entra's default
	SignResponse                   // "Sign SAML response"
	SignBoth                       // "Sign SAML response and assertion"
	SignNone                       // no signature at all
)

func (p Placement) String() string {
	return [...]string{"assertion", "response", "both", "none"}[p]
}

// Algorithm is the signing algorithm ("SHA-256" is Entra's default, "SHA-1" its other choice).
type Algorithm string

const (
	SHA256 Algorithm = "" // the zero value
	SHA1   Algorithm = "sha1"
	SHA384 Algorithm = "sha384"
	SHA512 Algorithm = "sha512"
)

// Attribute is one claim with its values in order.
type Attribute struct {
	Name   string
	Values []string
}

// Options describe one response. The zero value is an SP-initiated, assertion-signed
// response for DefaultSP, issued at Now, for the default user.
type Options struct {
	Sign      Placement
	Algorithm Algorithm

	IssueInstant time.Time // zero: Now. Validity windows are derived from it as Entra does.
	ResponseID   string    // zero: ID("response")
	AssertionID  string    // zero: ID("assertion")

	InResponseTo string // zero: RequestID
	Unsolicited  bool   // IdP-initiated: no InResponseTo anywhere

	Destination string // zero: ACSURL (Response/@Destination)
	Recipient   string // zero: ACSURL (SubjectConfirmationData/@Recipient)
	Audience    string // zero: SPEntityID
	Issuer      string // zero: the IdP's EntityID, on Response and Assertion

	NameID       string // zero: UserEmail
	NameIDFormat string // zero: NameIDEmail

	Groups     []string    // adds the groups claim when non-empty
	Attributes []Attribute // appended after Entra's default claims
	// Claims, when not nil, replaces Entra's default claim set for the default user (the
	// nine claims claims writes first); Groups and Attributes are still appended.
	Claims []Attribute

	Status        string // zero: Success; anything else still carries the assertion
	StatusMessage string
	NoAssertion   bool // the shape Entra sends with an error status

	// EncryptTo, when set, replaces the (signed) Assertion by an EncryptedAssertion for
	// this certificate, as Entra's "Token encryption" does (RSA-OAEP + AES-256-CBC).
	EncryptTo *x509.Certificate

	// EditAssertion runs on the Assertion before it is signed: for content the IdP
	// itself would have signed (extra SubjectConfirmations, missing Recipient, ...).
	EditAssertion func(a *etree.Element)
	// EditResponse runs on the Response after the Assertion is signed (or encrypted) and
	// before the Response is signed.
	EditResponse func(r *etree.Element)
}

// Times derived from an IssueInstant the way Entra derives them.
func ValidFrom(issue time.Time) time.Time  { return issue.Add(-5 * time.Minute) }
func ValidUntil(issue time.Time) time.Time { return issue.Add(time.Hour) }

// Timestamp formats t as Entra does (UTC, milliseconds, Z).
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (o Options) withDefaults(idp *IdP) Options {
	if o.IssueInstant.IsZero() {
		o.IssueInstant = Now
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.ResponseID, ID("response"))
	def(&o.AssertionID, ID("assertion"))
	if !o.Unsolicited {
		def(&o.InResponseTo, RequestID)
	}
	def(&o.Destination, ACSURL)
	def(&o.Recipient, ACSURL)
	def(&o.Audience, SPEntityID)
	def(&o.Issuer, idp.EntityID)
	def(&o.NameID, UserEmail)
	def(&o.NameIDFormat, NameIDEmail)
	def(&o.Status, StatusSuccess)
	return o
}

// Response builds, signs and serializes one SAML Response.
func (idp *IdP) Response(opts Options) ([]byte, error) {
	doc, err := idp.ResponseDoc(opts)
	if err != nil {
		return nil, err
	}
	return Serialize(doc), nil
}

// ResponseDoc is Response before serialization, for tests that mutate the tree.
func (idp *IdP) ResponseDoc(opts Options) (*etree.Document, error) {
	o := opts.withDefaults(idp)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(responseXML(idp, o)); err != nil {
		return nil, fmt.Errorf("samltest: template: %w", err)
	}
	resp := doc.Root()
	if a := Child(resp, NSAssertion, "Assertion"); a != nil {
		if o.EditAssertion != nil {
			o.EditAssertion(a)
		}
		if o.Sign == SignAssertion || o.Sign == SignBoth {
			if err := idp.Sign(a, o.Algorithm); err != nil {
				return nil, err
			}
		}
		if o.EncryptTo != nil {
			if err := Encrypt(a, o.EncryptTo); err != nil {
				return nil, err
			}
		}
	}
	if o.EditResponse != nil {
		o.EditResponse(resp)
	}
	if o.Sign == SignResponse || o.Sign == SignBoth {
		if err := idp.Sign(resp, o.Algorithm); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// MustResponse is Response for tests.
func (idp *IdP) MustResponse(tb interface {
	Helper()
	Fatalf(string, ...any)
}, opts Options) []byte {
	tb.Helper()
	b, err := idp.Response(opts)
	if err != nil {
		tb.Fatalf("samltest: %v", err)
	}
	return b
}

// Encode is the form value a browser posts: standard base64 of the document.
func Encode(doc []byte) string { return base64.StdEncoding.EncodeToString(doc) }

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// responseXML writes the unsigned response in Entra's exact shape: samlp: prefix on the
// protocol elements, the assertion namespace as default namespace on Issuer and
// Assertion, no whitespace between elements.
func responseXML(idp *IdP, o Options) string {
	var b strings.Builder
	issue := o.IssueInstant
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w(`<samlp:Response ID="%s" Version="2.0" IssueInstant="%s" Destination="%s"`,
		esc(o.ResponseID), Timestamp(issue), esc(o.Destination))
	if !o.Unsolicited {
		w(` InResponseTo="%s"`, esc(o.InResponseTo))
	}
	w(` xmlns:samlp="%s">`, NSProtocol)
	w(`<Issuer xmlns="%s">%s</Issuer>`, NSAssertion, esc(o.Issuer))
	w(`<samlp:Status><samlp:StatusCode Value="%s"/>`, esc(o.Status))
	if o.StatusMessage != "" {
		w(`<samlp:StatusMessage>%s</samlp:StatusMessage>`, esc(o.StatusMessage))
	}
	w(`</samlp:Status>`)
	if o.NoAssertion {
		w(`</samlp:Response>`)
		return b.String()
	}

	w(`<Assertion ID="%s" IssueInstant="%s" Version="2.0" xmlns="%s">`,
		esc(o.AssertionID), Timestamp(issue.Add(-3*time.Millisecond)), NSAssertion)
	w(`<Issuer>%s</Issuer>`, esc(o.Issuer))
	w(`<Subject><NameID Format="%s">%s</NameID>`, esc(o.NameIDFormat), esc(o.NameID))
	w(`<SubjectConfirmation Method="%s"><SubjectConfirmationData`, Bearer)
	if !o.Unsolicited {
		w(` InResponseTo="%s"`, esc(o.InResponseTo))
	}
	w(` NotOnOrAfter="%s" Recipient="%s"/></SubjectConfirmation></Subject>`,
		Timestamp(ValidUntil(issue)), esc(o.Recipient))
	w(`<Conditions NotBefore="%s" NotOnOrAfter="%s"><AudienceRestriction><Audience>%s</Audience></AudienceRestriction></Conditions>`,
		Timestamp(ValidFrom(issue)), Timestamp(ValidUntil(issue)), esc(o.Audience))

	w(`<AttributeStatement>`)
	for _, a := range claims(idp, o) {
		w(`<Attribute Name="%s">`, esc(a.Name))
		for _, v := range a.Values {
			w(`<AttributeValue>%s</AttributeValue>`, esc(v))
		}
		w(`</Attribute>`)
	}
	w(`</AttributeStatement>`)
	w(`<AuthnStatement AuthnInstant="%s" SessionIndex="%s"><AuthnContext><AuthnContextClassRef>%s</AuthnContextClassRef></AuthnContext></AuthnStatement>`,
		Timestamp(issue.Add(-time.Minute)), esc(o.AssertionID),
		"urn:oasis:names:tc:SAML:2.0:ac:classes:Password")
	w(`</Assertion></samlp:Response>`)
	return b.String()
}

// claims are the nine claims of an Entra enterprise app's default claim set, in the order
// Entra writes them, then groups and any extra attributes.
func claims(idp *IdP, o Options) []Attribute {
	if o.Claims != nil {
		out := append([]Attribute(nil), o.Claims...)
		if len(o.Groups) > 0 {
			out = append(out, Attribute{Name: ClaimGroups, Values: o.Groups})
		}
		return append(out, o.Attributes...)
	}
	one := func(name, v string) Attribute { return Attribute{Name: name, Values: []string{v}} }
	out := []Attribute{
		one(ClaimTenantID, idp.TenantID),
		one(ClaimObjectID, UserObjectID),
		one(ClaimDisplayName, UserDisplayName),
		one(ClaimIdP, idp.EntityID),
		{Name: ClaimAuthnMethods, Values: []string{
			"http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password",
			"http://schemas.microsoft.com/claims/multipleauthn",
		}},
		one(ClaimGivenName, UserGivenName),
		one(ClaimSurname, UserSurname),
		one(ClaimEmail, UserEmail),
		one(ClaimName, o.NameID),
	}
	if len(o.Groups) > 0 {
		out = append(out, Attribute{Name: ClaimGroups, Values: o.Groups})
	}
	return append(out, o.Attributes...)
}
