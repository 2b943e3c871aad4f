package sp

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/recorded"
	"github.com/ssokit/saml/metadata"
)

// recordedResponse is one genuine Entra response from ../shared/recorded/azure.
type recordedResponse struct {
	file      string
	cert      string
	plaintext string // for an encrypted response: the decrypted assertion, to read facts from
	spKey     string // for an encrypted response: the SP's private key
}

var recordedResponses = []recordedResponse{
	{file: "002-socialflow-2015.xml", cert: "002-socialflow-2015.cert.pem"},
	{file: "007-wire-2018.xml", cert: "007-wire-2018.cert.pem"},
	{file: "011-dow-2019.xml", cert: "011-dow-2019.cert.pem"},
	{file: "012-cummins-2020-idp-initiated.xml", cert: "012-cummins-2020-idp-initiated.cert.pem"},
	{file: "013-badgr-2021-a.xml", cert: "013-badgr-2021.cert.pem"},
	{file: "014-badgr-2021-b.xml", cert: "013-badgr-2021.cert.pem"},
	{file: "016-tercen-2022.xml", cert: "016-tercen-2022.cert.pem"},
	{file: "017-phpsaml-glpi-2023-a.xml", cert: "017-phpsaml-glpi-2023.cert.pem"},
	{file: "018-phpsaml-glpi-2023-b.xml", cert: "017-phpsaml-glpi-2023.cert.pem"},
	{file: "019-jobportal-2023.xml", cert: "019-jobportal-2023.cert.pem"},
	{file: "020-aspnetsaml-2025-encrypted.xml", cert: "020-aspnetsaml-2025-encrypted.cert.pem",
		plaintext: "020-aspnetsaml-2025-encrypted.decrypted-assertion.xml", spKey: "020-aspnetsaml-2025-encrypted.sp-key.pem"},
	{file: "021-wire-server-2025.xml", cert: "021-wire-server-2025.cert.pem"},
}

// facts are what a recorded response says, read with regular expressions straight from
// the file, independently of the code under test.
type facts struct {
	issuer, audience, recipient, inResponseTo string
	issueInstant, notOnOrAfter                time.Time
	nameID, nameIDFormat                      string
	attributes                                map[string][]string
	attributeOrder                            []string
}

var (
	reAssertionInstant = regexp.MustCompile(`<Assertion [^>]*IssueInstant="([^"]+)"`)
	reConditions       = regexp.MustCompile(`<Conditions [^>]*NotOnOrAfter="([^"]+)"`)
	reIssuer           = regexp.MustCompile(`<Issuer[^>]*>([^<]+)</Issuer>`)
	reAudience         = regexp.MustCompile(`<Audience>([^<]+)</Audience>`)
	reRecipient        = regexp.MustCompile(`Recipient="([^"]+)"`)
	reInResponseTo     = regexp.MustCompile(`InResponseTo="([^"]+)"`)
	reNameID           = regexp.MustCompile(`<NameID( Format="([^"]+)")?[^>]*>([^<]+)</NameID>`)
	reAttribute        = regexp.MustCompile(`(?s)<Attribute Name="([^"]+)"[^>]*>(.*?)</Attribute>`)
	reValue            = regexp.MustCompile(`(?s)<AttributeValue[^>]*>(.*?)</AttributeValue>`)
)

func readFacts(t *testing.T, xml string) facts {
	t.Helper()
	must := func(re *regexp.Regexp, group int) string {
		m := re.FindStringSubmatch(xml)
		if m == nil {
			t.Fatalf("recorded file has no match for %s", re)
		}
		return html.UnescapeString(m[group])
	}
	when := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	f := facts{
		issuer:       must(reIssuer, 1),
		audience:     must(reAudience, 1),
		issueInstant: when(must(reAssertionInstant, 1)),
		notOnOrAfter: when(must(reConditions, 1)),
		nameIDFormat: must(reNameID, 2),
		nameID:       must(reNameID, 3),
		attributes:   map[string][]string{},
	}
	f.recipient = "https://sp.example/saml/consume" // a bare assertion has none
	if m := reRecipient.FindStringSubmatch(xml); m != nil {
		f.recipient = m[1]
	}
	if m := reInResponseTo.FindStringSubmatch(xml); m != nil {
		f.inResponseTo = m[1]
	}
	for _, m := range reAttribute.FindAllStringSubmatch(xml, -1) {
		name := html.UnescapeString(m[1])
		if _, ok := f.attributes[name]; !ok {
			f.attributeOrder = append(f.attributeOrder, name)
		}
		for _, v := range reValue.FindAllStringSubmatch(m[2], -1) {
			f.attributes[name] = append(f.attributes[name], html.UnescapeString(v[1]))
		}
	}
	return f
}

func loadCert(t *testing.T, name string) *metadata.IdP {
	t.Helper()
	cs, err := certs.Parse(recorded.Read(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return &metadata.IdP{Certificates: cs}
}

// recordedSetup is a recorded response with the SP configuration it was made for.
type recordedSetup struct {
	encoded string
	facts   facts
	cfg     Config
}

func setupRecorded(t *testing.T, r recordedResponse) recordedSetup {
	t.Helper()
	raw := recorded.Read(t, r.file)
	factsFrom := string(raw)
	if r.plaintext != "" {
		factsFrom = string(recorded.Read(t, r.plaintext))
	}
	f := readFacts(t, factsFrom)
	if r.plaintext != "" {
		// InResponseTo and Destination of the outer Response.
		if m := reInResponseTo.FindStringSubmatch(string(raw)); m != nil && f.inResponseTo == "" {
			f.inResponseTo = m[1]
		}
	}
	idp := loadCert(t, r.cert)
	idp.EntityID = f.issuer
	now := f.issueInstant.Add(5 * time.Second)
	cfg := Config{
		EntityID:          f.audience,
		ACSURL:            f.recipient,
		IdP:               idp,
		AllowIdPInitiated: f.inResponseTo == "",
		Now:               func() time.Time { return now },
	}
	if r.spKey != "" {
		// The upstream test published the SP's private key without its certificate.
		cfg.Key = keyOnly(t, recorded.Read(t, r.spKey))
	}
	return recordedSetup{encoded: base64.StdEncoding.EncodeToString(raw), facts: f, cfg: cfg}
}

func validate(t *testing.T, cfg Config, encoded string, requestIDs ...string) error {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = s.ValidateResponse(context.Background(), encoded, requestIDs...)
	return err
}

func requestIDsFor(f facts) []string {
	if f.inResponseTo == "" {
		return nil
	}
	return []string{"id-some-other-request", f.inResponseTo}
}

func TestRecordedEntraResponsesValidateWithExactValues(t *testing.T) {
	for _, r := range recordedResponses {
		t.Run(r.file, func(t *testing.T) {
			rs := setupRecorded(t, r)
			s, err := New(rs.cfg)
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.ValidateResponse(context.Background(), rs.encoded, requestIDsFor(rs.facts)...)
			if err != nil {
				t.Fatalf("ValidateResponse: %v", err)
			}
			f := rs.facts
			if a.NameID.Value != f.nameID || a.NameID.Format != f.nameIDFormat {
				t.Errorf("NameID = %q (%s), want %q (%s)", a.NameID.Value, a.NameID.Format, f.nameID, f.nameIDFormat)
			}
			if a.Issuer != f.issuer {
				t.Errorf("Issuer = %q, want %q", a.Issuer, f.issuer)
			}
			if a.InResponseTo != f.inResponseTo {
				t.Errorf("InResponseTo = %q, want %q", a.InResponseTo, f.inResponseTo)
			}
			if len(a.Audiences) != 1 || a.Audiences[0] != f.audience {
				t.Errorf("Audiences = %q, want [%q]", a.Audiences, f.audience)
			}
			if !a.IssueInstant.Equal(f.issueInstant) || !a.NotOnOrAfter.Equal(f.notOnOrAfter) {
				t.Errorf("times = %v, %v; want %v, %v", a.IssueInstant, a.NotOnOrAfter, f.issueInstant, f.notOnOrAfter)
			}
			if strings.Join(a.AttributeNames, "\n") != strings.Join(f.attributeOrder, "\n") {
				t.Errorf("attribute names = %q, want %q", a.AttributeNames, f.attributeOrder)
			}
			for name, want := range f.attributes {
				got := a.Values(name)
				if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
					t.Errorf("attribute %s = %q, want %q", name, got, want)
				}
			}
			if len(f.attributes) == 0 {
				t.Error("no attributes extracted from the recording")
			}
			if a.ObjectID() == "" || a.TenantID() == "" || !strings.Contains(f.issuer, a.TenantID()) {
				t.Errorf("Entra accessors: ObjectID %q, TenantID %q (issuer %s)", a.ObjectID(), a.TenantID(), f.issuer)
			}
		})
	}
}

func otherTenantCert(t *testing.T, file string) *metadata.IdP {
	if strings.HasPrefix(file, "021") {
		return loadCert(t, "016-tercen-2022.cert.pem")
	}
	return loadCert(t, "021-wire-server-2025.cert.pem")
}

func TestRecordedEntraResponsesRejectedWhenConfigDiffers(t *testing.T) {
	cases := []struct {
		name string
		edit func(t *testing.T, file string, cfg *Config, f facts) []string // returns requestIDs
		want error
	}{
		{"expired one hour after NotOnOrAfter", func(t *testing.T, _ string, cfg *Config, f facts) []string {
			late := f.notOnOrAfter.Add(time.Hour)
			cfg.Now = func() time.Time { return late }
			return requestIDsFor(f)
		}, ErrExpired},
		{"another tenant's certificate", func(t *testing.T, file string, cfg *Config, f facts) []string {
			other := otherTenantCert(t, file)
			other.EntityID = cfg.IdP.EntityID
			cfg.IdP = other
			return requestIDsFor(f)
		}, ErrSignature},
		{"another SP Entity ID", func(t *testing.T, _ string, cfg *Config, f facts) []string {
			cfg.EntityID = "https://other.example/saml"
			return requestIDsFor(f)
		}, ErrAudience},
		{"another ACS URL", func(t *testing.T, _ string, cfg *Config, f facts) []string {
			cfg.ACSURL = "https://other.example/saml/consume"
			return requestIDsFor(f)
		}, ErrDestination},
		{"another IdP Entity ID", func(t *testing.T, _ string, cfg *Config, f facts) []string {
			cfg.IdP.EntityID = "https://sts.windows.net/00000000-0000-0000-0000-000000000000/"
			return requestIDsFor(f)
		}, ErrIssuer},
	}
	for _, r := range recordedResponses {
		for _, c := range cases {
			t.Run(r.file+"/"+c.name, func(t *testing.T) {
				rs := setupRecorded(t, r)
				ids := c.edit(t, r.file, &rs.cfg, rs.facts)
				err := validate(t, rs.cfg, rs.encoded, ids...)
				if !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
			})
		}
	}
}

func TestRecordedEntraResponsesBindToTheRequest(t *testing.T) {
	for _, r := range recordedResponses {
		rs := setupRecorded(t, r)
		if rs.facts.inResponseTo == "" {
			t.Run(r.file+"/unsolicited without AllowIdPInitiated", func(t *testing.T) {
				rs.cfg.AllowIdPInitiated = false
				if err := validate(t, rs.cfg, rs.encoded); !errors.Is(err, ErrUnsolicited) {
					t.Fatalf("err = %v, want ErrUnsolicited", err)
				}
			})
			continue
		}
		t.Run(r.file+"/wrong request ID", func(t *testing.T) {
			if err := validate(t, rs.cfg, rs.encoded, "id-not-the-one"); !errors.Is(err, ErrInResponseTo) {
				t.Fatalf("err = %v, want ErrInResponseTo", err)
			}
		})
		t.Run(r.file+"/no request outstanding", func(t *testing.T) {
			rs.cfg.AllowIdPInitiated = true
			if err := validate(t, rs.cfg, rs.encoded); !errors.Is(err, ErrInResponseTo) {
				t.Fatalf("err = %v, want ErrInResponseTo", err)
			}
		})
	}
}

func TestRecordedEntraResponsesAcceptedOnce(t *testing.T) {
	for _, r := range recordedResponses {
		t.Run(r.file, func(t *testing.T) {
			rs := setupRecorded(t, r)
			s, err := New(rs.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ids := requestIDsFor(rs.facts)
			if _, err := s.ValidateResponse(context.Background(), rs.encoded, ids...); err != nil {
				t.Fatalf("first: %v", err)
			}
			if _, err := s.ValidateResponse(context.Background(), rs.encoded, ids...); !errors.Is(err, ErrReplay) {
				t.Fatalf("second: err = %v, want ErrReplay", err)
			}
		})
	}
}

func TestRecordedNegativesAreRejected(t *testing.T) {
	base := setupRecorded(t, recordedResponses[1]) // 007: 008 is its tampered copy
	cases := []struct {
		file, cert string
		want       error
	}{
		{"008-wire-2018-badsig.xml", "007-wire-2018.cert.pem", ErrSignature},
		{"009-wire-2018-reserialized.xml", "007-wire-2018.cert.pem", ErrSignature},
		// Bare assertions: the root must be a Response.
		{"001-o365-2013-assertion.xml", "001-o365-2013-assertion.cert.pem", ErrMalformed},
		{"003-identitymodel-2017-assertion-a.xml", "003-identitymodel-2017.cert.pem", ErrMalformed},
		{"004-identitymodel-2017-assertion-b.xml", "003-identitymodel-2017.cert.pem", ErrMalformed},
		{"005-identitymodel-2017-assertion-sigtampered.xml", "003-identitymodel-2017.cert.pem", ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw := recorded.Read(t, c.file)
			f := readFacts(t, string(raw))
			cfg := base.cfg
			cfg.IdP = loadCert(t, c.cert)
			cfg.IdP.EntityID = f.issuer
			cfg.EntityID, cfg.ACSURL = f.audience, f.recipient
			now := f.issueInstant.Add(5 * time.Second)
			cfg.Now = func() time.Time { return now }
			var ids []string
			if f.inResponseTo != "" {
				ids = []string{f.inResponseTo}
			}
			err := validate(t, cfg, base64.StdEncoding.EncodeToString(raw), ids...)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestRecordedBase64WithLineBreaksIsAccepted(t *testing.T) {
	rs := setupRecorded(t, recordedResponses[1]) // 007
	b64 := string(recorded.Read(t, "007-wire-2018.b64"))
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))])
		wrapped.WriteString("\r\n")
	}
	if err := validate(t, rs.cfg, wrapped.String(), rs.facts.inResponseTo); err != nil {
		t.Fatal(err)
	}
}

func keyOnly(t *testing.T, keyPEM []byte) *certs.KeyPair {
	t.Helper()
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		t.Fatal("no PEM block in SP key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return &certs.KeyPair{Key: k}
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return &certs.KeyPair{Key: k.(crypto.Signer)}
}
