package sp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/internal/samltest"
)

// #17: the IdP's refusal is quoted once in the error text and in the log, not once as
// what arrived and again as the cause.
func TestAADSTSMessageAppearsOnce(t *testing.T) {
	idp := samltest.DefaultIdP()
	var buf strings.Builder
	cfg := genConfig(idp)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	const msg = "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access."
	err := validate(t, cfg, genResponse(t, idp, samltest.Options{Status: samltest.StatusRequester, StatusMessage: msg, NoAssertion: true}), samltest.RequestID)
	var se *StatusError
	if !errors.Is(err, ErrStatus) || !errors.As(err, &se) || se.Message != msg {
		t.Fatalf("err = %v, want ErrStatus carrying the message", err)
	}
	if n := strings.Count(err.Error(), "AADSTS50105"); n != 1 {
		t.Errorf("Error() quotes AADSTS50105 %d times: %s", n, err)
	}
	if n := strings.Count(buf.String(), "AADSTS50105"); n != 1 {
		t.Errorf("the log quotes AADSTS50105 %d times: %s", n, buf.String())
	}
	// A cause the text does not already say is still given.
	e := &Error{Kind: ErrUnavailable, Check: "replay", Received: "replay cache unavailable", Err: errors.New("dial tcp 127.0.0.1:6379: connection refused")}
	if !strings.Contains(e.Error(), "(dial tcp 127.0.0.1:6379: connection refused)") {
		t.Errorf("Error() drops the cause: %s", e)
	}
}

// #17: no text reads like "expected one of this browser's requests none": every
// Expected and Received built from a list or an attribute says what is missing.
func TestNoMessageQuotesAnEmptyList(t *testing.T) {
	idp := samltest.DefaultIdP()
	noRecipient := samltest.Options{EditAssertion: func(a *etree.Element) {
		samltest.SubjectConfirmationDataOf(a).RemoveAttr("Recipient")
	}}
	noAudience := samltest.Options{EditAssertion: func(a *etree.Element) {
		r := samltest.Find(a, samltest.NSAssertion, "AudienceRestriction")
		for _, au := range samltest.Children(r, samltest.NSAssertion, "Audience") {
			r.RemoveChild(au)
		}
	}}
	noConditions := samltest.Options{EditAssertion: func(a *etree.Element) {
		a.RemoveChild(samltest.Child(a, samltest.NSAssertion, "Conditions"))
	}}
	twoConditions := samltest.Options{EditAssertion: func(a *etree.Element) {
		c := samltest.Child(a, samltest.NSAssertion, "Conditions")
		samltest.InsertAfter(c, samltest.Copy(c))
	}}
	cases := []struct {
		name         string
		idpInitiated bool
		opts         samltest.Options
		ids          []string
		check        string
		want         string // in Expected or Received
	}{
		{"a solicited response to a browser with no sign-in under way", false, samltest.Options{}, nil,
			"in response to", "this browser started none"},
		{"the same, IdP-initiated allowed", true, samltest.Options{}, nil,
			"in response to", "this browser started no sign-in here"},
		{"another request", false, samltest.Options{}, []string{"id-other"},
			"in response to", "this browser's sign-in request `id-other`"},
		{"no Recipient", false, noRecipient, []string{samltest.RequestID}, "recipient", "no Recipient"},
		{"an AudienceRestriction without an Audience", false, noAudience, []string{samltest.RequestID}, "audience", "without an Audience"},
		{"no Conditions", false, noConditions, []string{samltest.RequestID}, "conditions time", "no Conditions"},
		{"two Conditions", false, twoConditions, []string{samltest.RequestID}, "conditions time", "2 Conditions elements"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := genConfig(idp)
			cfg.AllowIdPInitiated = c.idpInitiated
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := s.Diagnose(context.Background(), genResponse(t, idp, c.opts), c.ids...)
			var got *Check
			for i := range d.Checks {
				if d.Checks[i].Name == c.check {
					got = &d.Checks[i]
				}
			}
			if got == nil || got.Status != Failed {
				t.Fatalf("check %q = %+v, want failed", c.check, got)
			}
			text := got.Expected + " | " + got.Received + " | " + got.Err.Error()
			if !strings.Contains(text, c.want) {
				t.Errorf("%q: %s, want it to say %q", c.check, text, c.want)
			}
			for _, awkward := range []string{"requests none", "``", "()", "got none"} {
				if strings.Contains(text, awkward) {
					t.Errorf("%q reads %q: %s", c.check, awkward, text)
				}
			}
		})
	}
}

// #17: one log record per rejection, with attributes to search by: check, kind, the
// advice's code and the reference the user's page quotes; an outage is an error, a bad
// response a warning.
func TestRejectionLogRecordAttributes(t *testing.T) {
	idp := samltest.DefaultIdP()
	cases := []struct {
		name  string
		edit  func(*Config)
		level string
		check string
		kind  string
		fix   string
	}{
		{"wrong Identifier", func(c *Config) { c.EntityID = "https://app.example/other" }, "WARN", "audience", "audience", CodeIdentifier},
		{"replay cache down", func(c *Config) { c.ReplayCache = failingCache{} }, "ERROR", "replay", "unavailable", CodeReplayCache},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf strings.Builder
			cfg := genConfig(idp)
			cfg.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
			c.edit(&cfg)
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ValidateResponse(WithRef(context.Background(), "ref-1234"), genResponse(t, idp, samltest.Options{}), samltest.RequestID); err == nil {
				t.Fatal("accepted")
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d log records, want 1: %s", len(lines), buf.String())
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"level": c.level, "check": c.check, "kind": c.kind, "fix": c.fix, "ref": "ref-1234"}
			for k, v := range want {
				if rec[k] != v {
					t.Errorf("%s = %v, want %q (record %s)", k, rec[k], v, lines[0])
				}
			}
			if e, _ := rec["err"].(string); !strings.Contains(e, "saml: "+c.check) {
				t.Errorf("err = %q", e)
			}
		})
	}
}

func TestKindOfNamesEverySentinel(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range kinds {
		wrapped := &Error{Kind: k.err, Check: "x"}
		if got := KindOf(wrapped); got != k.name {
			t.Errorf("KindOf(%v) = %q, want %q", k.err, got, k.name)
		}
		if got := KindOf(fmt.Errorf("web: %w", k.err)); got != k.name {
			t.Errorf("KindOf(wrapped %v) = %q, want %q", k.err, got, k.name)
		}
		if seen[k.name] {
			t.Errorf("two kinds named %q", k.name)
		}
		seen[k.name] = true
	}
	if KindOf(errors.New("other")) != "" || KindOf(nil) != "" {
		t.Error("KindOf names an error of no kind")
	}
	if len(kinds) != 11 {
		t.Errorf("%d kinds; a new Err… sentinel needs a name here", len(kinds))
	}
}

// An outage tells the user to come back soon; it is not "sign-in failed".
func TestUserMessageTellsAnOutageFromARefusal(t *testing.T) {
	outage := UserMessage(&Error{Kind: ErrUnavailable, Check: "replay"})
	refused := UserMessage(&Error{Kind: ErrSignature, Check: "assertion signature"})
	if !strings.Contains(outage, "try again in a minute") || outage == refused {
		t.Errorf("outage %q, refusal %q", outage, refused)
	}
}
