package sp

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/recorded"
	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/internal/samltest"
)

var testSubject = LogoutSubject{
	NameID: assertion.NameID{Value: "adele@contoso.example", Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		NameQualifier: "https://sts.windows.net/q/", SPNameQualifier: samltest.SPEntityID},
	SessionIndex: "_session-1",
}

// readOutgoing parses a URL the SP sends the browser to, and the message it carries.
func readOutgoing(t *testing.T, raw string) (*url.URL, *redirect.Message, *etree.Element) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	m, err := redirect.Parse(u.RawQuery, redirect.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	xml, err := redirect.Inflate(m.Value, redirect.DefaultLimits.MaxInflated)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	return u, m, doc.Root()
}

func TestLogoutRequestURLCarriesTheSessionAsReceived(t *testing.T) {
	idp := samltest.DefaultIdP()
	s := newSP(t, logoutConfig(idp))
	raw, id, err := s.LogoutRequestURL(testSubject, "rs-1")
	if err != nil {
		t.Fatal(err)
	}
	u, m, el := readOutgoing(t, raw)
	if got := u.Scheme + "://" + u.Host + u.Path; got != idp.Metadata().SLOURL {
		t.Errorf("sent to %s, want the IdP's Logout URL %s", got, idp.Metadata().SLOURL)
	}
	if m.Param != redirect.SAMLRequest || m.RelayState != "rs-1" || m.Signed() {
		t.Errorf("query %+v: want an unsigned SAMLRequest with RelayState", m)
	}
	if !elIs(el, protoNS, "LogoutRequest") || elAttr(el, "ID") != id || !strings.HasPrefix(id, "id") || elAttr(el, "Version") != "2.0" ||
		elAttr(el, "IssueInstant") != "2026-03-02T10:00:02Z" || elAttr(el, "Destination") != idp.Metadata().SLOURL {
		t.Errorf("LogoutRequest attributes: %v", el.Attr)
	}
	if got := elText(elChild(el, assertNS, "Issuer")); got != samltest.SPEntityID {
		t.Errorf("Issuer %q", got)
	}
	n := elChild(el, assertNS, "NameID")
	if elText(n) != testSubject.NameID.Value || elAttr(n, "Format") != testSubject.NameID.Format ||
		elAttr(n, "NameQualifier") != testSubject.NameID.NameQualifier || elAttr(n, "SPNameQualifier") != testSubject.NameID.SPNameQualifier || elHasAttr(n, "SPProvidedID") {
		t.Errorf("NameID %v %q, want it as received at login", n.Attr, elText(n))
	}
	if got := elText(elChild(el, protoNS, "SessionIndex")); got != "_session-1" {
		t.Errorf("SessionIndex %q", got)
	}

	if _, _, err := s.LogoutRequestURL(LogoutSubject{}, ""); err == nil {
		t.Error("a LogoutRequest without NameID was built")
	}
	cfg := logoutConfig(idp)
	cfg.IdP.SLOURL = ""
	if _, _, err := newSP(t, cfg).LogoutRequestURL(testSubject, ""); err == nil || !strings.Contains(err.Error(), "Logout URL") {
		t.Errorf("no IdP Logout URL: %v", err)
	}
}

func TestLogoutMessagesAreSignedWhenConfigured(t *testing.T) {
	spKey := samltest.DefaultSP()
	for name, mod := range map[string]func(*Config){
		"Logout.SignMessages": func(c *Config) { c.Logout.SignMessages = true },
		"SignAuthnRequests":   func(c *Config) { c.SignAuthnRequests = true },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := logoutConfig(samltest.DefaultIdP())
			cfg.Key = spKey.KeyPair()
			mod(&cfg)
			s := newSP(t, cfg)
			raw, _, err := s.LogoutRequestURL(testSubject, "rs")
			if err != nil {
				t.Fatal(err)
			}
			_, m, _ := readOutgoing(t, raw)
			if _, err := m.Verify([]*x509.Certificate{spKey.Cert}, false); err != nil {
				t.Errorf("LogoutRequest query signature: %v", err)
			}
			form, _, err := s.LogoutRequestForm(testSubject, "rs")
			if err != nil {
				t.Fatal(err)
			}
			if form.SAMLRequest == "" || form.SAMLResponse != "" || !strings.Contains(decodeB64(t, form.SAMLRequest), "SignatureValue") {
				t.Errorf("POST LogoutRequest not signed: %+v", form)
			}
		})
	}
}

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The SP-initiated round trip as Entra does it: our LogoutRequest, Entra's LogoutResponse
// (Issuer https://login.microsoftonline.com/<tenant>/, lower-case escapes, Signature
// before SigAlg), validated over the raw query.
func TestLogoutResponseFromEntraIsAccepted(t *testing.T) {
	idp := samltest.DefaultIdP()
	s := newSP(t, logoutConfig(idp))
	_, reqID, err := s.LogoutRequestURL(testSubject, "rs-1")
	if err != nil {
		t.Fatal(err)
	}
	q := entraQuery(t, idp.Key, "SAMLResponse", xmlOf(t, idpLogoutResponse("_r1", reqID, statusSuccess)), "rs-1")
	resp, err := s.ValidateLogoutResponse(context.Background(), q, "idother", reqID)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID != "_r1" || resp.InResponseTo != reqID || resp.Issuer != entraLogoutIssuer || resp.RelayState != "rs-1" ||
		resp.Signer != idp.Cert || resp.Partial || resp.Destination != spLogoutURL || !resp.IssueInstant.Equal(samltest.Now) {
		t.Errorf("got %+v", resp)
	}
	// The same request answered again is a replay.
	q2 := entraQuery(t, idp.Key, "SAMLResponse", xmlOf(t, idpLogoutResponse("_r2", reqID, statusSuccess)), "")
	if _, err := s.ValidateLogoutResponse(context.Background(), q2, reqID); !errors.Is(err, ErrReplay) {
		t.Errorf("second answer to one LogoutRequest: %v, want ErrReplay", err)
	}
}

// Microsoft's documented LogoutResponse sample: unsigned, Issuer the tenant's SSO issuer,
// no Destination. It is accepted with each binding, answering its request only.
func TestRecordedEntraLogoutResponseSample(t *testing.T) {
	xml := recorded.Read(t, "023-msdocs-logoutresponse-sample.xml")
	const tenant = "82869000-6ad1-48f0-8171-272ed18796e9"
	idp := samltest.NewIdP(tenant, samltest.Pair{Key: samltest.DefaultIdP().Key, Cert: samltest.DefaultIdP().Cert})
	cfg := logoutConfig(idp)
	cfg.IdP.LogoutResponseIssuer = "https://login.microsoftonline.com/" + tenant + "/"
	cfg.Now = func() time.Time { return time.Date(2013, 3, 18, 8, 49, 30, 0, time.UTC) }
	const reqID = "iddce91f96e56747b5ace6d2e2aa9d4f8c"
	for name, validate := range map[string]func(s *SP, ids ...string) (*LogoutResponse, error){
		"HTTP-Redirect": func(s *SP, ids ...string) (*LogoutResponse, error) {
			return s.ValidateLogoutResponse(context.Background(), entraQuery(t, nil, "SAMLResponse", xml, ""), ids...)
		},
		"HTTP-POST": func(s *SP, ids ...string) (*LogoutResponse, error) {
			return s.ValidateLogoutResponseForm(context.Background(), base64Encode(xml), "", ids...)
		},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := validate(newSP(t, cfg), reqID)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Issuer != "https://sts.windows.net/"+tenant+"/" || resp.InResponseTo != reqID || resp.Signer != nil {
				t.Errorf("got %+v", resp)
			}
			if _, err := validate(newSP(t, cfg), "idsomethingelse"); !errors.Is(err, ErrInResponseTo) {
				t.Errorf("answering another request: %v, want ErrInResponseTo", err)
			}
			strict := cfg
			strict.Logout.RequireSignedResponses = true
			if _, err := validate(newSP(t, strict), reqID); !errors.Is(err, ErrSignature) {
				t.Errorf("unsigned with RequireSignedResponses: %v, want ErrSignature", err)
			}
		})
	}
}

// Every rule of LogoutResponse validation, each with the one change that breaks it. The
// control (no change) must pass, so each rejection is the rule's.
func TestLogoutResponseRejects(t *testing.T) {
	idp := samltest.DefaultIdP()
	attacker := samltest.AttackerIdP()
	const reqID = "id0123456789abcdef0123456789abcdef"
	type input struct {
		el         *etree.Element
		key        *samltest.IdP // query signer; nil leaves the query unsigned
		relayState string
		post       bool // HTTP-POST, XML-signed by key
		tamper     func(q string) string
		cfg        func(*Config)
		ids        []string
	}
	base := func() input {
		return input{el: idpLogoutResponse("_r", reqID, statusSuccess), key: idp, ids: []string{reqID}}
	}
	tests := []struct {
		name string
		mod  func(*input)
		kind error
		says string
	}{
		{"control", func(*input) {}, nil, ""},
		{"control, HTTP-POST signed in the XML", func(in *input) { in.post = true }, nil, ""},
		{"control, unsigned", func(in *input) { in.key = nil }, nil, ""},
		{"control, the IdP's entity ID as Issuer", func(in *input) { elChild(in.el, assertNS, "Issuer").SetText(idp.EntityID) }, nil, ""},
		{"answers no request of this browser", func(in *input) { in.ids = []string{"idother"} }, ErrInResponseTo, "idother"},
		{"no request outstanding", func(in *input) { in.ids = nil }, ErrInResponseTo, "none is outstanding"},
		{"no InResponseTo", func(in *input) { in.el.RemoveAttr("InResponseTo") }, ErrInResponseTo, "unsolicited"},
		{"another tenant's issuer", func(in *input) {
			elChild(in.el, assertNS, "Issuer").SetText("https://login.microsoftonline.com/" + samltest.OtherTenantID + "/")
		}, ErrIssuer, samltest.OtherTenantID},
		{"no Issuer", func(in *input) { in.el.RemoveChild(elChild(in.el, assertNS, "Issuer")) }, ErrIssuer, "0 Issuer"},
		{"Issuer with a NameID format", func(in *input) {
			elChild(in.el, assertNS, "Issuer").CreateAttr("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
		}, ErrIssuer, "Format"},
		{"another Destination", func(in *input) { in.el.CreateAttr("Destination", "https://evil.example/logout") }, ErrDestination, "evil.example"},
		{"signed without Destination", func(in *input) { in.el.RemoveAttr("Destination") }, ErrDestination, "without Destination"},
		{"no Logout URL configured", func(in *input) { in.cfg = func(c *Config) { c.Logout.URL = "" } }, ErrDestination, "give this SP a Logout URL"},
		{"IdP says no (AADSTS)", func(in *input) {
			st := elChild(in.el, protoNS, "Status")
			elChild(st, protoNS, "StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
			st.CreateElement("samlp:StatusMessage").SetText("AADSTS50068: Signout initiator is not a participant")
		}, ErrStatus, "AADSTS50068"},
		{"no Status", func(in *input) { in.el.RemoveChild(elChild(in.el, protoNS, "Status")) }, ErrMalformed, "one Status"},
		{"issued two hours ago", func(in *input) { in.el.CreateAttr("IssueInstant", fmtTime(samltest.Now.Add(-2*time.Hour))) }, ErrExpired, "issued at"},
		{"issued in the future", func(in *input) { in.el.CreateAttr("IssueInstant", fmtTime(samltest.Now.Add(10*time.Minute))) }, ErrExpired, "in the future"},
		{"IssueInstant not a time", func(in *input) { in.el.CreateAttr("IssueInstant", "yesterday") }, ErrMalformed, "xs:dateTime"},
		{"SAML 1.1", func(in *input) { in.el.CreateAttr("Version", "1.1") }, ErrMalformed, "Version"},
		{"no ID", func(in *input) { in.el.RemoveAttr("ID") }, ErrMalformed, "an ID"},
		{"signed by a key nobody trusts", func(in *input) { in.key = attacker }, ErrSignature, "verifies"},
		{"XML-signed by a key nobody trusts", func(in *input) { in.post, in.key = true, attacker }, ErrSignature, "signed by"},
		{"RelayState changed after signing", func(in *input) {
			in.relayState = "a"
			in.tamper = func(q string) string { return strings.Replace(q, "RelayState=a", "RelayState=b", 1) }
		}, ErrSignature, "verifies"},
		{"query re-encoded in upper case after signing", func(in *input) {
			in.relayState = "https://app.example/"
			in.tamper = func(q string) string { return strings.ReplaceAll(q, "%3a", "%3A") }
		}, ErrSignature, "verifies"},
		{"SigAlg RSA-SHA1", func(in *input) {
			in.tamper = func(q string) string { return strings.Replace(q, "xmldsig-more%23rsa-sha256", "xmldsig%23rsa-sha1", 1) }
		}, ErrSignature, "SigAlg"},
		{"unsigned while signatures are required", func(in *input) {
			in.key = nil
			in.cfg = func(c *Config) { c.Logout.RequireSignedResponses = true }
		}, ErrSignature, "unsigned"},
		{"a LogoutRequest where a response is read", func(in *input) { in.el = idpLogoutRequest("_q") }, ErrMalformed, "LogoutResponse"},
		{"a Signature inside the Status (wrapping)", func(in *input) {
			in.post = true
			in.tamper = func(string) string {
				el := in.el.Copy()
				idp.Sign(el, samltest.SHA256)
				sig := elChild(el, dsigNS, "Signature")
				el.RemoveChild(sig)
				elChild(el, protoNS, "Status").AddChild(sig)
				return base64Encode(xmlOf(t, el))
			}
		}, ErrSignature, "inside <samlp:Status>"},
		{"NameID-less XML changed after XML signing", func(in *input) {
			in.post = true
			in.tamper = func(v string) string {
				return base64Encode([]byte(strings.Replace(decodeB64(t, v), `InResponseTo="`+reqID+`"`, `InResponseTo="`+reqID+`" Consent="x"`, 1)))
			}
		}, ErrSignature, "changed after signing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.mod(&in)
			cfg := logoutConfig(idp)
			if in.cfg != nil {
				in.cfg(&cfg)
			}
			s := newSP(t, cfg)
			var err error
			if in.post {
				v := postValue(t, in.key, in.el)
				if in.tamper != nil {
					v = in.tamper(v)
				}
				_, err = s.ValidateLogoutResponseForm(context.Background(), v, "", in.ids...)
			} else {
				q := entraQuery(t, keyOf(in.key), "SAMLResponse", xmlOf(t, in.el), in.relayState)
				if in.tamper != nil {
					q = in.tamper(q)
				}
				_, err = s.ValidateLogoutResponse(context.Background(), q, in.ids...)
			}
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("control rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.kind, tt.says)
			}
			var e *Error
			if !errors.As(err, &e) || e.Fix == "" || e.FixCode == "" || !strings.HasPrefix(e.Check, "logout") {
				t.Errorf("error %v lacks a logout check name or a fix", err)
			}
		})
	}
}

func TestLogoutRequestFromEntraIsAcceptedAndAnswered(t *testing.T) {
	idp := samltest.DefaultIdP()
	cfg := logoutConfig(idp)
	cfg.Logout.RequireSignedRequests = true
	s := newSP(t, cfg)
	q := entraQuery(t, idp.Key, "SAMLRequest", xmlOf(t, idpLogoutRequest("_q1")), "idp-rs/1")
	req, err := s.ValidateLogoutRequest(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != "_q1" || req.Issuer != idp.EntityID || req.NameID.Value != "adele@contoso.example" ||
		req.NameID.Format != "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" || len(req.SessionIndexes) != 1 ||
		req.SessionIndexes[0] != "_session-1" || !req.NotOnOrAfter.Equal(samltest.Now.Add(time.Hour)) || req.RelayState != "idp-rs/1" ||
		req.Signer != idp.Cert || req.Destination != spLogoutURL {
		t.Errorf("got %+v", req)
	}
	// Entra's broadcasts may carry another NameID: the SessionIndex decides.
	if !req.Matches(assertion.NameID{Value: "someone-else"}, "_session-1") || req.Matches(testSubject.NameID, "_session-2") {
		t.Error("Matches does not follow the SessionIndex")
	}
	noIndex := &LogoutRequest{NameID: testSubject.NameID, Signer: idp.Cert}
	if !noIndex.Matches(testSubject.NameID, "x") || noIndex.Matches(assertion.NameID{Value: testSubject.NameID.Value}, "x") {
		t.Error("without a SessionIndex, Matches must compare the whole NameID")
	}
	// Unsigned, the NameID alone (an e-mail address anyone may know) ends nothing.
	if unsigned := (&LogoutRequest{NameID: testSubject.NameID}); unsigned.Matches(testSubject.NameID, "x") {
		t.Error("an unsigned LogoutRequest without a SessionIndex matched by NameID")
	}

	// The answer: to the IdP's Logout URL, InResponseTo the request, RelayState back.
	raw, err := s.LogoutResponseURL(req)
	if err != nil {
		t.Fatal(err)
	}
	u, m, el := readOutgoing(t, raw)
	if u.Scheme+"://"+u.Host+u.Path != idp.Metadata().SLOURL || m.Param != redirect.SAMLResponse || m.RelayState != "idp-rs/1" {
		t.Errorf("answer %s", raw)
	}
	if !elIs(el, protoNS, "LogoutResponse") || elAttr(el, "InResponseTo") != "_q1" || elAttr(el, "Destination") != idp.Metadata().SLOURL ||
		elAttr(elChild(elChild(el, protoNS, "Status"), protoNS, "StatusCode"), "Value") != statusSuccess ||
		elText(elChild(el, assertNS, "Issuer")) != samltest.SPEntityID {
		t.Errorf("LogoutResponse %s", xmlOf(t, el))
	}
	form, err := s.LogoutResponseForm(req)
	if err != nil || form.SAMLResponse == "" || form.SAMLRequest != "" || form.RelayState != "idp-rs/1" {
		t.Errorf("POST answer %+v, %v", form, err)
	}

	// Replayed: refused.
	if _, err := s.ValidateLogoutRequest(context.Background(), q); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed LogoutRequest: %v, want ErrReplay", err)
	}
}

func keyOf(idp *samltest.IdP) *rsa.PrivateKey {
	if idp == nil {
		return nil
	}
	return idp.Key
}

func TestLogoutRequestRejects(t *testing.T) {
	idp := samltest.DefaultIdP()
	type input struct {
		el     *etree.Element
		key    *samltest.IdP
		post   bool
		tamper func(string) string
		cfg    func(*Config)
	}
	tests := []struct {
		name string
		mod  func(*input)
		kind error
		says string
	}{
		{"control", func(*input) {}, nil, ""},
		{"control, HTTP-POST", func(in *input) { in.post = true }, nil, ""},
		{"control, unsigned and not required", func(in *input) { in.key = nil }, nil, ""},
		{"control, no NotOnOrAfter", func(in *input) { in.el.RemoveAttr("NotOnOrAfter") }, nil, ""},
		{"unsigned while required", func(in *input) {
			in.key = nil
			in.cfg = func(c *Config) { c.Logout.RequireSignedRequests = true }
		}, ErrSignature, "unsigned"},
		{"unsigned POST while required", func(in *input) {
			in.key, in.post = nil, true
			in.cfg = func(c *Config) { c.Logout.RequireSignedRequests = true }
		}, ErrSignature, "HTTP-POST"},
		{"signed by a key nobody trusts", func(in *input) { in.key = samltest.AttackerIdP() }, ErrSignature, "verifies"},
		{"NameID changed after XML signing", func(in *input) {
			in.post = true
			in.tamper = func(v string) string {
				return base64Encode([]byte(strings.Replace(decodeB64(t, v), "adele@", "admin@", 1)))
			}
		}, ErrSignature, "changed after signing"},
		{"NameID changed after query signing", func(in *input) {
			signed := entraQuery(t, idp.Key, "SAMLRequest", xmlOf(t, in.el), "")
			other := in.el.Copy()
			elChild(other, assertNS, "NameID").SetText("admin@contoso.example")
			forged := entraQuery(t, nil, "SAMLRequest", xmlOf(t, other), "")
			in.tamper = func(string) string { return forged + signed[strings.Index(signed, "&Signature="):] }
		}, ErrSignature, "verifies"},
		{"expired (NotOnOrAfter passed)", func(in *input) { in.el.CreateAttr("NotOnOrAfter", fmtTime(samltest.Now.Add(-time.Hour))) }, ErrExpired, "NotOnOrAfter"},
		{"NotOnOrAfter not a time", func(in *input) { in.el.CreateAttr("NotOnOrAfter", "soon") }, ErrMalformed, "NotOnOrAfter"},
		{"issued too long ago", func(in *input) {
			in.el.CreateAttr("IssueInstant", fmtTime(samltest.Now.Add(-3*time.Hour)))
			in.el.RemoveAttr("NotOnOrAfter")
		}, ErrExpired, "too old"},
		{"Issuer is Entra's LogoutResponse issuer (not for requests)", func(in *input) { elChild(in.el, assertNS, "Issuer").SetText(entraLogoutIssuer) }, ErrIssuer, entraLogoutIssuer},
		{"another tenant", func(in *input) {
			elChild(in.el, assertNS, "Issuer").SetText(samltest.IssuerFor(samltest.OtherTenantID))
		}, ErrIssuer, samltest.OtherTenantID},
		{"another Destination", func(in *input) {
			in.el.CreateAttr("Destination", "https://app.example/organizations/other/saml/logout")
		}, ErrDestination, "other"},
		{"two NameIDs", func(in *input) { in.el.InsertChildAt(2, elChild(in.el, assertNS, "NameID").Copy()) }, ErrMalformed, "2 identifiers"},
		{"no NameID", func(in *input) { in.el.RemoveChild(elChild(in.el, assertNS, "NameID")) }, ErrMalformed, "0 identifiers"},
		{"EncryptedID", func(in *input) {
			n := elChild(in.el, assertNS, "NameID")
			n.Tag, n.Child = "EncryptedID", nil
		}, ErrMalformed, "not supported"},
		{"markup in the NameID", func(in *input) { elChild(in.el, assertNS, "NameID").CreateElement("b") }, ErrMalformed, "markup"},
		{"markup in the SessionIndex", func(in *input) { elChild(in.el, protoNS, "SessionIndex").CreateElement("b") }, ErrMalformed, "markup"},
		{"a DOCTYPE", func(in *input) {
			in.key = nil
			in.tamper = func(string) string {
				return entraQuery(t, nil, "SAMLRequest", append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), xmlOf(t, in.el)...), "")
			}
		}, ErrMalformed, "markup declaration"},
		{"a duplicate attribute", func(in *input) {
			in.key = nil
			in.tamper = func(string) string {
				return entraQuery(t, nil, "SAMLRequest", []byte(strings.Replace(string(xmlOf(t, in.el)), `Version="2.0"`, `Version="2.0" Version="2.0"`, 1)), "")
			}
		}, ErrMalformed, "twice"},
		{"a comment", func(in *input) {
			in.key = nil
			in.tamper = func(string) string {
				return entraQuery(t, nil, "SAMLRequest", []byte(strings.Replace(string(xmlOf(t, in.el)), "</samlp:LogoutRequest>", "<!--x--></samlp:LogoutRequest>", 1)), "")
			}
		}, ErrMalformed, "comments"},
		{"a duplicate ID", func(in *input) { elChild(in.el, protoNS, "SessionIndex").CreateAttr("ID", "_q") }, ErrMalformed, "used twice"},
		{"a DEFLATE bomb", func(in *input) {
			in.tamper = func(string) string {
				return "SAMLRequest=" + url.QueryEscape(deflateB64(t, make([]byte, 1<<20)))
			}
		}, ErrMalformed, "inflates to more than"},
		{"over the query limit", func(in *input) {
			in.tamper = func(q string) string { return q + "&x=" + strings.Repeat("a", maxLogoutEncoded) }
		}, ErrMalformed, "more than the limit"},
		{"a response where a request is read", func(in *input) { in.el = idpLogoutResponse("_q", "id1", statusSuccess) }, ErrMalformed, "LogoutRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input{el: idpLogoutRequest("_q"), key: idp}
			tt.mod(&in)
			cfg := logoutConfig(idp)
			if in.cfg != nil {
				in.cfg(&cfg)
			}
			s := newSP(t, cfg)
			var err error
			if in.post {
				v := postValue(t, in.key, in.el)
				if in.tamper != nil {
					v = in.tamper(v)
				}
				_, err = s.ValidateLogoutRequestForm(context.Background(), v, "")
			} else {
				q := entraQuery(t, keyOf(in.key), "SAMLRequest", xmlOf(t, in.el), "")
				if in.tamper != nil {
					q = in.tamper(q)
				}
				_, err = s.ValidateLogoutRequest(context.Background(), q)
			}
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("control rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.kind, tt.says)
			}
		})
	}
}

func TestValidateLogoutReadsEitherBindingAndKind(t *testing.T) {
	idp := samltest.DefaultIdP()
	s := newSP(t, logoutConfig(idp))
	ctx := context.Background()

	get := httptest.NewRequest(http.MethodGet, spLogoutURL+"?"+entraQuery(t, idp.Key, "SAMLRequest", xmlOf(t, idpLogoutRequest("_g")), ""), nil)
	if m, err := s.ValidateLogout(ctx, get); err != nil || m.Request == nil || m.Response != nil || m.Request.ID != "_g" {
		t.Errorf("GET LogoutRequest: %+v, %v", m, err)
	}
	resp := httptest.NewRequest(http.MethodGet, spLogoutURL+"?"+entraQuery(t, idp.Key, "SAMLResponse", xmlOf(t, idpLogoutResponse("_gr", "id9", statusSuccess)), ""), nil)
	if m, err := s.ValidateLogout(ctx, resp, "id9"); err != nil || m.Response == nil || m.Request != nil {
		t.Errorf("GET LogoutResponse: %+v, %v", m, err)
	}
	form := url.Values{"SAMLRequest": {postValue(t, idp, idpLogoutRequest("_p"))}, "RelayState": {"r"}}
	post := httptest.NewRequest(http.MethodPost, spLogoutURL, strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if m, err := s.ValidateLogout(ctx, post); err != nil || m.Request == nil || m.Request.RelayState != "r" || m.Request.Binding != "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" {
		t.Errorf("POST LogoutRequest: %+v, %v", m, err)
	}
	for name, r := range map[string]*http.Request{
		"PUT":              httptest.NewRequest(http.MethodPut, spLogoutURL, nil),
		"GET without":      httptest.NewRequest(http.MethodGet, spLogoutURL+"?x=1", nil),
		"POST without":     formRequest(url.Values{"RelayState": {"r"}}),
		"POST with both":   formRequest(url.Values{"SAMLRequest": {"a"}, "SAMLResponse": {"b"}}),
		"POST over limits": formRequest(url.Values{"SAMLRequest": {strings.Repeat("A", 3*maxLogoutEncoded)}}),
	} {
		if _, err := s.ValidateLogout(ctx, r); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func formRequest(v url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, spLogoutURL, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestSPMetadataListsSingleLogoutOnlyWhenServed(t *testing.T) {
	idp := samltest.DefaultIdP()
	without, err := newSP(t, genConfig(idp)).Metadata()
	if err != nil {
		t.Fatal(err)
	}
	with, err := newSP(t, logoutConfig(idp)).Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(without), "SingleLogoutService") || !strings.Contains(string(with), `Location="`+spLogoutURL+`"`) {
		t.Errorf("metadata without Logout.URL lists SLO: %v; with it: %v", strings.Contains(string(without), "SingleLogoutService"), strings.Contains(string(with), spLogoutURL))
	}
}

// An SP that signs its logout messages publishes its signing certificate: IdPs verify
// LogoutRequests and LogoutResponses with the one in the SP's metadata (pysaml2 and
// Lasso do).
func TestSPMetadataPublishesTheLogoutSigningCertificate(t *testing.T) {
	idp := samltest.DefaultIdP()
	for _, tc := range []struct {
		name string
		sign bool
	}{{"unsigned", false}, {"signed", true}} {
		cfg := logoutConfig(idp)
		cfg.Key = samltest.DefaultSP().KeyPair()
		cfg.Logout.SignMessages = tc.sign
		md, err := newSP(t, cfg).Metadata()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(md), `use="signing"`); got != tc.sign {
			t.Errorf("%s logout messages: signing KeyDescriptor listed = %v", tc.name, got)
		}
	}
}
