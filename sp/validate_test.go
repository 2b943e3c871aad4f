package sp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
)

// genConfig is the SP the generated fixtures are addressed to.
func genConfig(idp *samltest.IdP) Config {
	return Config{
		EntityID: samltest.SPEntityID,
		ACSURL:   samltest.ACSURL,
		IdP:      idp.Metadata(),
		Now:      func() time.Time { return samltest.Now.Add(2 * time.Second) },
	}
}

func genResponse(t *testing.T, idp *samltest.IdP, o samltest.Options) string {
	t.Helper()
	return samltest.Encode(idp.MustResponse(t, o))
}

func mustValidate(t *testing.T, cfg Config, form string, ids ...string) *assertion.Assertion {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.ValidateResponse(context.Background(), form, ids...)
	if err != nil {
		t.Fatalf("ValidateResponse: %v", err)
	}
	return a
}

func TestSignaturePolicyForEachEntraSigningOption(t *testing.T) {
	idp := samltest.DefaultIdP()
	type policy struct{ assertion, response bool }
	cases := []struct {
		sign   samltest.Placement
		policy policy
		want   error
	}{
		{samltest.SignAssertion, policy{}, nil},
		{samltest.SignResponse, policy{}, nil},
		{samltest.SignBoth, policy{}, nil},
		{samltest.SignNone, policy{}, ErrSignature},
		{samltest.SignAssertion, policy{assertion: true}, nil},
		{samltest.SignResponse, policy{assertion: true}, ErrSignature},
		{samltest.SignBoth, policy{assertion: true}, nil},
		{samltest.SignAssertion, policy{response: true}, ErrSignature},
		{samltest.SignResponse, policy{response: true}, nil},
		{samltest.SignBoth, policy{response: true, assertion: true}, nil},
		{samltest.SignAssertion, policy{response: true, assertion: true}, ErrSignature},
		{samltest.SignResponse, policy{response: true, assertion: true}, ErrSignature},
	}
	for _, c := range cases {
		name := fmt.Sprintf("signed %s, require assertion=%v response=%v", c.sign, c.policy.assertion, c.policy.response)
		t.Run(name, func(t *testing.T) {
			cfg := genConfig(idp)
			cfg.RequireSignedAssertion, cfg.RequireSignedResponse = c.policy.assertion, c.policy.response
			err := validate(t, cfg, genResponse(t, idp, samltest.Options{Sign: c.sign}), samltest.RequestID)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestGeneratedResponseValues(t *testing.T) {
	idp := samltest.DefaultIdP()
	for _, sign := range []samltest.Placement{samltest.SignAssertion, samltest.SignResponse, samltest.SignBoth} {
		t.Run(sign.String(), func(t *testing.T) {
			a := mustValidate(t, genConfig(idp), genResponse(t, idp, samltest.Options{Sign: sign, Groups: []string{"g1", "g2"}}), samltest.RequestID)
			want := map[string]string{
				"NameID": samltest.UserEmail, "ObjectID": samltest.UserObjectID, "TenantID": samltest.TenantID,
				"DisplayName": samltest.UserDisplayName, "GivenName": samltest.UserGivenName, "Surname": samltest.UserSurname,
				"Email": samltest.UserEmail, "Issuer": idp.EntityID, "InResponseTo": samltest.RequestID,
			}
			got := map[string]string{
				"NameID": a.NameID.Value, "ObjectID": a.ObjectID(), "TenantID": a.TenantID(),
				"DisplayName": a.DisplayName(), "GivenName": a.GivenName(), "Surname": a.Surname(),
				"Email": a.Email(), "Issuer": a.Issuer, "InResponseTo": a.InResponseTo,
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q", k, got[k], w)
				}
			}
			groups, err := a.Groups()
			if err != nil || strings.Join(groups, ",") != "g1,g2" {
				t.Errorf("Groups = %q, %v", groups, err)
			}
			if a.SessionIndex != a.ID || a.AuthnInstant.IsZero() || a.AuthnContextClassRef == "" {
				t.Errorf("authn statement: SessionIndex %q (ID %q), AuthnInstant %v, class %q", a.SessionIndex, a.ID, a.AuthnInstant, a.AuthnContextClassRef)
			}
		})
	}
}

func TestGroupsOverageIsNotNoGroups(t *testing.T) {
	idp := samltest.DefaultIdP()
	link := "https://graph.windows.net/" + samltest.TenantID + "/users/" + samltest.UserObjectID + "/getMemberObjects"
	form := genResponse(t, idp, samltest.Options{Attributes: []samltest.Attribute{{Name: samltest.ClaimGroupsOverage, Values: []string{link}}}})
	a := mustValidate(t, genConfig(idp), form, samltest.RequestID)
	if _, err := a.Groups(); !errors.Is(err, assertion.ErrGroupsOverage) {
		t.Fatalf("Groups err = %v, want ErrGroupsOverage", err)
	}
	if got, ok := a.GroupsOverage(); !ok || got != link {
		t.Fatalf("GroupsOverage = %q, %v", got, ok)
	}
}

func TestAlgorithms(t *testing.T) {
	idp := samltest.DefaultIdP()
	cases := []struct {
		alg       samltest.Algorithm
		allowSHA1 bool
		want      error
	}{
		{samltest.SHA256, false, nil},
		{samltest.SHA384, false, nil},
		{samltest.SHA512, false, nil},
		{samltest.SHA1, false, ErrSignature},
		{samltest.SHA1, true, nil},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q allowSHA1=%v", c.alg, c.allowSHA1), func(t *testing.T) {
			cfg := genConfig(idp)
			cfg.InsecureAllowSHA1 = c.allowSHA1
			err := validate(t, cfg, genResponse(t, idp, samltest.Options{Sign: samltest.SignBoth, Algorithm: c.alg}), samltest.RequestID)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestCertificateRolloverAcceptsEitherConfiguredCertificate(t *testing.T) {
	cur, next := samltest.DefaultIdP(), samltest.NextIdP()
	cfg := genConfig(cur)
	cfg.IdP.Certificates = append(cfg.IdP.Certificates, next.Cert)
	for _, idp := range []*samltest.IdP{cur, next} {
		mustValidate(t, cfg, genResponse(t, idp, samltest.Options{}), samltest.RequestID)
	}
}

func TestUntrustedSignerErrorNamesBothThumbprints(t *testing.T) {
	real, atk := samltest.DefaultIdP(), samltest.AttackerIdP()
	err := validate(t, genConfig(real), genResponse(t, atk, samltest.Options{}), samltest.RequestID)
	if !errors.Is(err, ErrSignature) {
		t.Fatalf("err = %v, want ErrSignature", err)
	}
	msg := err.Error()
	for _, want := range []string{derThumbprint(atk.Cert.Raw), derThumbprint(real.Cert.Raw)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name thumbprint %s", msg, want)
		}
	}
	if u := UserMessage(err); strings.Contains(u, derThumbprint(real.Cert.Raw)) || strings.Contains(u, "certificate") {
		t.Errorf("UserMessage leaks details: %q", u)
	}
}

func TestEncryptedAssertion(t *testing.T) {
	idp, spk := samltest.DefaultIdP(), samltest.DefaultSP()
	cases := []struct {
		name string
		sign samltest.Placement
		key  bool
		want error
	}{
		{"signed assertion, decrypted with Key", samltest.SignAssertion, true, nil},
		{"signed response covers the ciphertext", samltest.SignResponse, true, nil},
		{"both signed", samltest.SignBoth, true, nil},
		{"unsigned: encryption is not authentication", samltest.SignNone, true, ErrSignature},
		{"no SP key", samltest.SignAssertion, false, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := genConfig(idp)
			if c.key {
				cfg.Key = spk.KeyPair()
			}
			err := validate(t, cfg, genResponse(t, idp, samltest.Options{Sign: c.sign, EncryptTo: spk.Cert}), samltest.RequestID)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestEncryptedAssertionWithWrongKeyGetsOneUniformError(t *testing.T) {
	idp, spk := samltest.DefaultIdP(), samltest.DefaultSP()
	cfg := genConfig(idp)
	other := samltest.DefaultSP()
	other.Key = samltest.OtherTenantIdP().Key
	cfg.Key = other.KeyPair()
	cfg.DecryptionKeys = nil
	err := validate(t, cfg, genResponse(t, idp, samltest.Options{EncryptTo: spk.Cert}), samltest.RequestID)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), errDecrypt.Error()) {
		t.Fatalf("err = %v", err)
	}
	// Rollover: the right key among DecryptionKeys works.
	cfg.DecryptionKeys = append(cfg.DecryptionKeys, spk.KeyPair())
	mustValidate(t, cfg, genResponse(t, idp, samltest.Options{EncryptTo: spk.Cert}), samltest.RequestID)
}

func TestStatusErrorCarriesTheIdPsCodesAndMessage(t *testing.T) {
	idp := samltest.DefaultIdP()
	msg := "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access."
	for _, noAssertion := range []bool{true, false} {
		t.Run(fmt.Sprintf("without assertion=%v", noAssertion), func(t *testing.T) {
			form := genResponse(t, idp, samltest.Options{Status: samltest.StatusRequester, StatusMessage: msg, NoAssertion: noAssertion})
			err := validate(t, genConfig(idp), form, samltest.RequestID)
			if !errors.Is(err, ErrStatus) {
				t.Fatalf("err = %v, want ErrStatus", err)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Code != samltest.StatusRequester || se.Message != msg {
				t.Fatalf("StatusError = %+v", se)
			}
			if strings.Contains(UserMessage(err), "AADSTS") {
				t.Errorf("UserMessage leaks the status: %q", UserMessage(err))
			}
		})
	}
}

func TestCommentSplitNameIDIsReadWhole(t *testing.T) {
	idp := samltest.DefaultIdP()
	doc, err := idp.ResponseDoc(samltest.Options{NameID: "admin@contoso.example.attacker.example"})
	if err != nil {
		t.Fatal(err)
	}
	// Exclusive C14N drops comments, so the signature still verifies after the split.
	nameID := samltest.NameIDOf(samltest.AssertionOf(doc))
	nameID.Child = nil
	nameID.CreateText("admin@contoso.example")
	nameID.CreateComment("")
	nameID.CreateText(".attacker.example")
	a := mustValidate(t, genConfig(idp), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID)
	if a.NameID.Value != "admin@contoso.example.attacker.example" {
		t.Fatalf("NameID = %q, want the whole signed value", a.NameID.Value)
	}
}

func TestManyAttributeValuesValidate(t *testing.T) {
	idp := samltest.DefaultIdP()
	groups := make([]string, 5000)
	for i := range groups {
		groups[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	}
	for _, sign := range []samltest.Placement{samltest.SignAssertion, samltest.SignBoth} {
		a := mustValidate(t, genConfig(idp), genResponse(t, idp, samltest.Options{Sign: sign, Groups: groups}), samltest.RequestID)
		got, err := a.Groups()
		if err != nil || len(got) != 5000 || got[4999] != groups[4999] {
			t.Fatalf("%s: %d groups, %v", sign, len(got), err)
		}
	}
}

func TestLimits(t *testing.T) {
	idp := samltest.DefaultIdP()
	valid := genResponse(t, idp, samltest.Options{})
	cases := []struct {
		name   string
		limits Limits
		form   string
	}{
		{"encoded size", Limits{MaxEncodedSize: len(valid) - 1}, valid},
		{"decoded size", Limits{MaxDecodedSize: 1000}, valid},
		{"depth", Limits{MaxDepth: 4}, valid},
		{"elements", Limits{MaxElements: 20}, valid},
		{"value length", Limits{MaxValueLength: 100}, valid},
		{"attribute values", Limits{MaxAttributeValues: 1}, genResponse(t, idp, samltest.Options{Groups: []string{"a", "b"}})},
		{"far over any sane size", Limits{}, strings.Repeat("PHNhbWw+", 1<<20)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := genConfig(idp)
			cfg.Limits = c.limits
			if err := validate(t, cfg, c.form, samltest.RequestID); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	mustValidate(t, genConfig(idp), valid, samltest.RequestID) // the control
}

func TestSignaturePlacementIsEnforced(t *testing.T) {
	idp := samltest.DefaultIdP()
	cases := []struct {
		name string
		move func(doc *etree.Document)
	}{
		{"assertion signature after Subject", func(doc *etree.Document) {
			a := samltest.AssertionOf(doc)
			sig := samltest.Detach(samltest.SignatureOf(a))
			samltest.InsertAfter(samltest.Child(a, samltest.NSAssertion, "Subject"), sig)
		}},
		{"assertion signature moved to the Response", func(doc *etree.Document) {
			a := samltest.AssertionOf(doc)
			sig := samltest.Detach(samltest.SignatureOf(a))
			samltest.InsertAfter(samltest.Child(doc.Root(), samltest.NSAssertion, "Issuer"), sig)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := idp.ResponseDoc(samltest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			c.move(doc)
			if err := validate(t, genConfig(idp), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID); !errors.Is(err, ErrSignature) {
				t.Fatalf("err = %v, want ErrSignature", err)
			}
		})
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	good := genConfig(samltest.DefaultIdP())
	cases := map[string]func(c *Config){
		"no EntityID":       func(c *Config) { c.EntityID = "" },
		"no ACSURL":         func(c *Config) { c.ACSURL = "" },
		"no IdP":            func(c *Config) { c.IdP = nil },
		"no IdP EntityID":   func(c *Config) { c.IdP.EntityID = "" },
		"no certificate":    func(c *Config) { c.IdP.Certificates = nil },
		"negative skew":     func(c *Config) { c.ClockSkew = -time.Second },
		"signing needs Key": func(c *Config) { c.SignAuthnRequests = true },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			c := good
			idp := *good.IdP
			c.IdP = &idp
			edit(&c)
			if _, err := New(c); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
}

func TestLoggerGetsTheAdminReasonAndSHA1Use(t *testing.T) {
	idp := samltest.DefaultIdP()
	var buf strings.Builder
	cfg := genConfig(idp)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	cfg.EntityID = "https://app.example/other"
	if err := validate(t, cfg, genResponse(t, idp, samltest.Options{}), samltest.RequestID); !errors.Is(err, ErrAudience) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(buf.String(), "check=audience") || !strings.Contains(buf.String(), samltest.SPEntityID) {
		t.Errorf("log = %q", buf.String())
	}
	buf.Reset()
	cfg = genConfig(idp)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	cfg.InsecureAllowSHA1 = true
	mustValidate(t, cfg, genResponse(t, idp, samltest.Options{Algorithm: samltest.SHA1}), samltest.RequestID)
	if !strings.Contains(buf.String(), "SHA-1") {
		t.Errorf("accepting SHA-1 was not logged: %q", buf.String())
	}
}

func TestInResponseToOnASignedResponseCounts(t *testing.T) {
	idp := samltest.DefaultIdP()
	form := genResponse(t, idp, samltest.Options{Sign: samltest.SignResponse, EditAssertion: func(a *etree.Element) {
		samltest.SubjectConfirmationDataOf(a).RemoveAttr("InResponseTo")
	}})
	a := mustValidate(t, genConfig(idp), form, samltest.RequestID)
	if a.InResponseTo != samltest.RequestID {
		t.Fatalf("InResponseTo = %q", a.InResponseTo)
	}
}
