package sp_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/recorded"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
)

// Fuzz targets for the ACS entry point. They run as ordinary tests over their seeds (and
// over the crashers kept in testdata/fuzz/<Target>/), and for real with
//
//	go test ./sp -run '^$' -fuzz '^FuzzValidateResponse$' -fuzztime 30s
//	go test ./sp -run '^$' -fuzz '^FuzzValidateResponseForm$' -fuzztime 30s
//
// Properties: never panic; every rejection is an *sp.Error wrapping one sentinel with a
// generic user message; and anything accepted is exactly what the trusted IdP signed.

// acceptAll lets the same signed seed be accepted again and again, so the fuzzer can
// explore around it instead of hitting the replay cache.
type acceptAll struct{}

func (acceptAll) Remember(context.Context, string, time.Time) error { return nil }

// signedSeeds are documents the trusted IdP really signed, keyed by assertion ID, with
// the NameID it signed for each: the only identities the fuzzer may ever get accepted.
func signedSeeds(tb testing.TB) (docs [][]byte, nameIDs map[string]string) {
	tb.Helper()
	idp := samltest.DefaultIdP()
	spKey := samltest.DefaultSP()
	nameIDs = map[string]string{}
	add := func(o samltest.Options) {
		b, err := idp.Response(o)
		if err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, b)
		id := o.AssertionID
		if id == "" {
			id = samltest.ID("assertion")
		}
		name := o.NameID
		if name == "" {
			name = samltest.UserEmail
		}
		nameIDs[id] = name
	}
	for _, f := range samltest.Fixtures() {
		add(f.Options)
	}
	add(samltest.Options{Sign: samltest.SignBoth, AssertionID: samltest.ID("fuzz enc"), EncryptTo: spKey.Cert})
	add(samltest.Options{Sign: samltest.SignResponse, AssertionID: samltest.ID("fuzz groups"), Groups: []string{"a", "b", "c"}})
	add(samltest.Options{AssertionID: samltest.ID("fuzz split"), NameID: "ceo@contoso.example.evil.example"})
	add(samltest.Options{Sign: samltest.SignBoth, AssertionID: samltest.ID("fuzz error"), Status: samltest.StatusResponder, StatusMessage: "AADSTS50105: x"})
	return docs, nameIDs
}

// recordedSeeds are the genuine Entra responses (decoded), when ../shared is beside the
// checkout; they exercise the parser even though this SP does not trust their signers.
func recordedSeeds(tb testing.TB) [][]byte {
	dir := os.Getenv(recorded.EnvVar)
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "recorded", "azure")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Logf("no recorded seeds (%v); set %s to add them", err, recorded.EnvVar)
		return nil
	}
	var out [][]byte
	for _, e := range entries {
		name := e.Name()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(name, ".xml"):
			out = append(out, b)
		case strings.HasSuffix(name, ".b64"):
			if d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), "")); err == nil {
				out = append(out, d)
			}
		}
	}
	return out
}

func fuzzSP(tb testing.TB) *sp.SP {
	cfg := attackConfig()
	cfg.AllowIdPInitiated = true
	cfg.ReplayCache = acceptAll{}
	return attackSP(tb, cfg)
}

// checkOutcome is the property every fuzz input must satisfy.
func checkOutcome(t *testing.T, a *assertion.Assertion, err error, nameIDs map[string]string) {
	t.Helper()
	if err != nil {
		var e *sp.Error
		if !errors.As(err, &e) || e.Kind == nil || !errors.Is(err, e.Kind) {
			t.Fatalf("rejection is not an *sp.Error with a kind: %#v", err)
		}
		if msg := sp.UserMessage(err); msg == "" || strings.Contains(msg, "<") {
			t.Fatalf("user message %q", msg)
		}
		return
	}
	want, ok := nameIDs[a.ID]
	if !ok {
		t.Fatalf("accepted assertion %q that the IdP never signed (NameID %q)", a.ID, a.NameID.Value)
	}
	if a.NameID.Value != want || a.Issuer != samltest.IssuerFor(samltest.TenantID) {
		t.Fatalf("accepted %q from %q; the IdP signed %q", a.NameID.Value, a.Issuer, want)
	}
}

// FuzzValidateResponse mutates the XML document; the target base64-encodes it as a
// browser would post it.
func FuzzValidateResponse(f *testing.F) {
	docs, nameIDs := signedSeeds(f)
	for _, d := range docs {
		f.Add(d)
	}
	for _, d := range recordedSeeds(f) {
		f.Add(d)
	}
	s := fuzzSP(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		a, err := s.ValidateResponse(context.Background(), base64.StdEncoding.EncodeToString(doc), samltest.RequestID)
		checkOutcome(t, a, err, nameIDs)
	})
}

// FuzzValidateResponseForm mutates the posted form value itself: base64 alphabet, line
// breaks, padding, sizes.
func FuzzValidateResponseForm(f *testing.F) {
	docs, nameIDs := signedSeeds(f)
	for _, d := range docs {
		enc := base64.StdEncoding.EncodeToString(d)
		f.Add(enc)
		var wrapped strings.Builder
		for i := 0; i < len(enc); i += 76 {
			wrapped.WriteString(enc[i:min(i+76, len(enc))])
			wrapped.WriteString("\r\n")
		}
		f.Add(wrapped.String())
	}
	for _, d := range recordedSeeds(f) {
		f.Add(base64.StdEncoding.EncodeToString(d))
	}
	f.Add("")
	f.Add("====")
	f.Add("PHg+")
	s := fuzzSP(f)
	f.Fuzz(func(t *testing.T, form string) {
		a, err := s.ValidateResponse(context.Background(), form, samltest.RequestID)
		checkOutcome(t, a, err, nameIDs)
	})
}

// TestFuzzSeedsAreAccepted is the fuzz targets' control: they start from documents the
// SP accepts, so the fuzzer explores around valid input rather than only around noise.
func TestFuzzSeedsAreAccepted(t *testing.T) {
	docs, nameIDs := signedSeeds(t)
	s := fuzzSP(t)
	for i, d := range docs {
		a, err := s.ValidateResponse(context.Background(), base64.StdEncoding.EncodeToString(d), samltest.RequestID)
		if strings.Contains(string(d), samltest.StatusResponder) {
			if !errors.Is(err, sp.ErrStatus) {
				t.Errorf("seed %d: want ErrStatus, got %v", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("seed %d rejected: %v", i, err)
			continue
		}
		checkOutcome(t, a, nil, nameIDs)
	}
}
