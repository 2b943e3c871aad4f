package orgs

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp"
)

// A Test is stored as JSON (sqlstore keeps each Version as one JSON document). Its
// Diagnosis holds errors, which JSON cannot carry, so each check's error is kept as its
// text and its kind (the sp sentinel), and comes back as an error that errors.Is still
// matches with that sentinel.

type storedTest struct {
	At      time.Time            `json:"at"`
	By      string               `json:"by,omitempty"`
	OK      bool                 `json:"ok"`
	Checks  []storedCheck        `json:"checks"`
	Valid   *assertion.Assertion `json:"assertion,omitempty"`
	Signed  *assertion.Assertion `json:"signed,omitempty"`
	Present bool                 `json:"diagnosis"`
}

type storedCheck struct {
	Name     string    `json:"name"`
	Status   sp.Status `json:"status"`
	Expected string    `json:"expected,omitempty"`
	Received string    `json:"received,omitempty"`
	Fix      string    `json:"fix,omitempty"`
	Err      string    `json:"err,omitempty"`
	Kind     string    `json:"kind,omitempty"`
}

// kinds names sp's sentinels for storage; the names are part of the stored format.
var kinds = []struct {
	name string
	err  error
}{
	{"malformed", sp.ErrMalformed},
	{"signature", sp.ErrSignature},
	{"issuer", sp.ErrIssuer},
	{"audience", sp.ErrAudience},
	{"destination", sp.ErrDestination},
	{"expired", sp.ErrExpired},
	{"in_response_to", sp.ErrInResponseTo},
	{"unsolicited", sp.ErrUnsolicited},
	{"replay", sp.ErrReplay},
	{"status", sp.ErrStatus},
	{"unavailable", sp.ErrUnavailable},
	{"email_domain", ErrEmailDomain},
	{"tenant", ErrTenant},
}

func kindName(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return ""
}

func kindErr(name string) error {
	for _, k := range kinds {
		if k.name == name {
			return k.err
		}
	}
	return nil
}

// storedError is a check's error read back from storage.
type storedError struct {
	text string
	kind error
}

func (e *storedError) Error() string { return e.text }
func (e *storedError) Unwrap() error { return e.kind }

func (t *Test) MarshalJSON() ([]byte, error) {
	st := storedTest{At: t.At, By: t.By}
	if d := t.Diagnosis; d != nil {
		st.Present, st.OK, st.Valid, st.Signed = true, d.OK, d.Assertion, d.Signed
		for _, c := range d.Checks {
			sc := storedCheck{Name: c.Name, Status: c.Status, Expected: c.Expected, Received: c.Received, Fix: c.Fix}
			if c.Err != nil {
				sc.Err, sc.Kind = c.Err.Error(), kindName(c.Err)
			}
			st.Checks = append(st.Checks, sc)
		}
	}
	return json.Marshal(st)
}

func (t *Test) UnmarshalJSON(b []byte) error {
	var st storedTest
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	*t = Test{At: st.At, By: st.By}
	if !st.Present {
		return nil
	}
	d := &sp.Diagnosis{OK: st.OK, Assertion: st.Valid, Signed: st.Signed}
	for _, sc := range st.Checks {
		c := sp.Check{Name: sc.Name, Status: sc.Status, Expected: sc.Expected, Received: sc.Received, Fix: sc.Fix}
		if sc.Err != "" || sc.Kind != "" {
			c.Err = &storedError{text: sc.Err, kind: kindErr(sc.Kind)}
		}
		d.Checks = append(d.Checks, c)
	}
	t.Diagnosis = d
	return nil
}

func quote(s string) string { return strconv.Quote(s) }
