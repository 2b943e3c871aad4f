package sp

import (
	"errors"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/internal/samltest"
)

// Each case breaks one rule in a response the IdP signed, and asserts both the kind of
// error and the check that caught it, so removing that check fails its case even when a
// later check would also reject the response.
func TestEachCheckRejectsWhatItGuards(t *testing.T) {
	type tc struct {
		name      string
		opts      samltest.Options
		edit      func(c *Config)
		at        time.Duration // clock offset from samltest.Now; zero means +2s
		ids       []string      // nil means samltest.RequestID
		form      string        // when set, posted instead of a generated response
		wantKind  error
		wantCheck string
	}
	onAssertion := func(f func(a *etree.Element)) samltest.Options {
		return samltest.Options{EditAssertion: f}
	}
	find := func(a *etree.Element, local string) *etree.Element {
		return samltest.Find(a, samltest.NSAssertion, local)
	}
	cases := []tc{
		{name: "empty form value", form: " ", wantKind: ErrMalformed, wantCheck: "base64"},
		{name: "nothing posted", form: "", wantKind: ErrMalformed, wantCheck: "size"},
		{name: "not base64", form: "PD94bWwg*", wantKind: ErrMalformed, wantCheck: "base64"},
		{name: "duplicate ID", opts: onAssertion(func(a *etree.Element) {
			find(a, "AttributeStatement").CreateAttr("ID", samltest.ID("response"))
		}), wantKind: ErrMalformed, wantCheck: "xml"},
		{name: "no assertion with Success", opts: samltest.Options{NoAssertion: true}, wantKind: ErrMalformed, wantCheck: "shape"},
		{name: "second assertion", opts: samltest.Options{EditResponse: func(r *etree.Element) {
			r.AddChild(samltest.Copy(samltest.Child(r, samltest.NSAssertion, "Assertion")))
		}}, wantKind: ErrMalformed, wantCheck: "xml"}, // its ID repeats
		{name: "assertion hidden in Extensions", opts: samltest.Options{EditResponse: func(r *etree.Element) {
			a := samltest.Child(r, samltest.NSAssertion, "Assertion")
			samltest.Wrap(a, "samlp:Extensions", "")
		}}, wantKind: ErrMalformed, wantCheck: "shape"},
		{name: "two Status elements", opts: samltest.Options{EditResponse: func(r *etree.Element) {
			st := samltest.Child(r, samltest.NSProtocol, "Status")
			samltest.InsertAfter(st, samltest.Copy(st))
		}}, wantKind: ErrMalformed, wantCheck: "shape"},
		{name: "Response signature required", edit: func(c *Config) { c.RequireSignedResponse = true },
			wantKind: ErrSignature, wantCheck: "response signature"},
		{name: "Assertion signature required", opts: samltest.Options{Sign: samltest.SignResponse},
			edit: func(c *Config) { c.RequireSignedAssertion = true }, wantKind: ErrSignature, wantCheck: "assertion signature"},
		{name: "no signature at all", opts: samltest.Options{Sign: samltest.SignNone}, wantKind: ErrSignature, wantCheck: "signature coverage"},
		{name: "assertion Version 1.1", opts: onAssertion(func(a *etree.Element) { a.CreateAttr("Version", "1.1") }),
			wantKind: ErrMalformed, wantCheck: "version"},
		{name: "non-Success status with an assertion", opts: samltest.Options{Status: samltest.StatusResponder},
			wantKind: ErrStatus, wantCheck: "status"},
		{name: "Destination of another SP", opts: samltest.Options{Destination: "https://evil.example/acs"},
			wantKind: ErrDestination, wantCheck: "destination"},
		{name: "signed Response without Destination", opts: samltest.Options{Sign: samltest.SignBoth,
			EditResponse: func(r *etree.Element) { r.RemoveAttr("Destination") }},
			wantKind: ErrDestination, wantCheck: "destination"},
		{name: "Response Issuer of another tenant", opts: samltest.Options{EditResponse: func(r *etree.Element) {
			samltest.Child(r, samltest.NSAssertion, "Issuer").SetText(samltest.IssuerFor(samltest.OtherTenantID))
		}}, wantKind: ErrIssuer, wantCheck: "response issuer"},
		{name: "Assertion Issuer of another tenant", opts: onAssertion(func(a *etree.Element) {
			samltest.Child(a, samltest.NSAssertion, "Issuer").SetText(samltest.IssuerFor(samltest.OtherTenantID))
		}), wantKind: ErrIssuer, wantCheck: "assertion issuer"},
		{name: "Issuer with a non-entity Format", opts: onAssertion(func(a *etree.Element) {
			samltest.Child(a, samltest.NSAssertion, "Issuer").CreateAttr("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
		}), wantKind: ErrIssuer, wantCheck: "assertion issuer"},
		{name: "Recipient of another SP", opts: samltest.Options{Recipient: "https://evil.example/acs"},
			wantKind: ErrDestination, wantCheck: "recipient"},
		{name: "no bearer confirmation", opts: onAssertion(func(a *etree.Element) {
			find(a, "SubjectConfirmation").CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")
		}), wantKind: ErrMalformed, wantCheck: "recipient"},
		{name: "confirmation expired", opts: onAssertion(func(a *etree.Element) {
			samltest.SubjectConfirmationDataOf(a).CreateAttr("NotOnOrAfter", samltest.Timestamp(samltest.Now.Add(-4*time.Minute)))
		}), wantKind: ErrExpired, wantCheck: "subject confirmation time"},
		{name: "confirmation without NotOnOrAfter", opts: onAssertion(func(a *etree.Element) {
			samltest.SubjectConfirmationDataOf(a).RemoveAttr("NotOnOrAfter")
		}), wantKind: ErrExpired, wantCheck: "subject confirmation time"},
		{name: "confirmation not yet valid", opts: onAssertion(func(a *etree.Element) {
			samltest.SubjectConfirmationDataOf(a).CreateAttr("NotBefore", samltest.Timestamp(samltest.Now.Add(4*time.Minute)))
		}), wantKind: ErrExpired, wantCheck: "subject confirmation time"},
		{name: "conditions expired", opts: onAssertion(func(a *etree.Element) {
			find(a, "Conditions").CreateAttr("NotOnOrAfter", samltest.Timestamp(samltest.Now.Add(-4*time.Minute)))
		}), wantKind: ErrExpired, wantCheck: "conditions time"},
		{name: "conditions not yet valid", opts: onAssertion(func(a *etree.Element) {
			find(a, "Conditions").CreateAttr("NotBefore", samltest.Timestamp(samltest.Now.Add(4*time.Minute)))
		}), wantKind: ErrExpired, wantCheck: "conditions time"},
		{name: "unknown condition", opts: onAssertion(func(a *etree.Element) {
			find(a, "Conditions").CreateElement("Condition")
		}), wantKind: ErrMalformed, wantCheck: "conditions time"},
		{name: "issued too long ago", edit: func(c *Config) { c.MaxIssueDelay = time.Minute },
			at: 4*time.Minute + 30*time.Second, wantKind: ErrExpired, wantCheck: "issue instant"},
		{name: "issued in the future", at: -4 * time.Minute, wantKind: ErrExpired, wantCheck: "issue instant"},
		{name: "Audience of another SP", opts: samltest.Options{Audience: "https://evil.example"},
			wantKind: ErrAudience, wantCheck: "audience"},
		{name: "no AudienceRestriction", opts: onAssertion(func(a *etree.Element) {
			c := find(a, "Conditions")
			c.RemoveChild(samltest.Child(c, samltest.NSAssertion, "AudienceRestriction"))
		}), wantKind: ErrAudience, wantCheck: "audience"},
		{name: "a second AudienceRestriction without us", opts: onAssertion(func(a *etree.Element) {
			c := find(a, "Conditions")
			c.CreateElement("AudienceRestriction").CreateElement("Audience").SetText("https://evil.example")
		}), wantKind: ErrAudience, wantCheck: "audience"},
		{name: "InResponseTo of another request", ids: []string{"id-other"}, wantKind: ErrInResponseTo, wantCheck: "in response to"},
		{name: "Response and Assertion answer different requests", opts: samltest.Options{EditResponse: func(r *etree.Element) {
			r.CreateAttr("InResponseTo", "id-other")
		}}, ids: []string{samltest.RequestID, "id-other"}, wantKind: ErrInResponseTo, wantCheck: "in response to"},
		{name: "InResponseTo only on the unsigned Response", opts: samltest.Options{Unsolicited: true, EditResponse: func(r *etree.Element) {
			r.CreateAttr("InResponseTo", samltest.RequestID)
		}}, wantKind: ErrInResponseTo, wantCheck: "in response to"},
		{name: "unsolicited", opts: samltest.Options{Unsolicited: true}, wantKind: ErrUnsolicited, wantCheck: "in response to"},
		{name: "no NameID", opts: onAssertion(func(a *etree.Element) {
			n := samltest.NameIDOf(a)
			n.Parent().RemoveChild(n)
		}), wantKind: ErrMalformed, wantCheck: "assertion"},
		{name: "empty NameID", opts: samltest.Options{NameID: " "}, wantKind: ErrMalformed, wantCheck: "assertion"},
		{name: "markup inside NameID", opts: onAssertion(func(a *etree.Element) {
			samltest.NameIDOf(a).CreateElement("b").SetText("x")
		}), wantKind: ErrMalformed, wantCheck: "assertion"},
		{name: "EncryptedID", opts: onAssertion(func(a *etree.Element) {
			n := samltest.NameIDOf(a)
			n.Tag = "EncryptedID"
		}), wantKind: ErrMalformed, wantCheck: "assertion"},
		{name: "no AuthnStatement", opts: onAssertion(func(a *etree.Element) {
			a.RemoveChild(find(a, "AuthnStatement"))
		}), wantKind: ErrMalformed, wantCheck: "assertion"},
		{name: "Attribute without Name", opts: onAssertion(func(a *etree.Element) {
			find(a, "AttributeStatement").CreateElement("Attribute").CreateElement("AttributeValue").SetText("x")
		}), wantKind: ErrMalformed, wantCheck: "assertion"},
	}
	idp := samltest.DefaultIdP()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := genConfig(idp)
			at := c.at
			if at == 0 {
				at = 2 * time.Second
			}
			now := samltest.Now.Add(at)
			cfg.Now = func() time.Time { return now }
			if c.edit != nil {
				c.edit(&cfg)
			}
			form := c.form
			if form == "" && c.name != "nothing posted" {
				form = genResponse(t, idp, c.opts)
			}
			ids := c.ids
			if ids == nil {
				ids = []string{samltest.RequestID}
			}
			err := validate(t, cfg, form, ids...)
			var e *Error
			if !errors.Is(err, c.wantKind) || !errors.As(err, &e) || e.Check != c.wantCheck {
				t.Fatalf("err = %v; want kind %v from check %q", err, c.wantKind, c.wantCheck)
			}
			if e.Received == "" || (e.Fix == "" && e.Kind != ErrReplay) {
				t.Errorf("error lacks what arrived or how to fix it: %+v", e)
			}
		})
	}
}
