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
	Name     string       `json:"name"`
	Status   sp.Status    `json:"status"`
	Expected string       `json:"expected,omitempty"`
	Received string       `json:"received,omitempty"`
	Fix      string       `json:"fix,omitempty"`
	Err      string       `json:"err,omitempty"`
	Kind     string       `json:"kind,omitempty"`
	SPError  *storedSPErr `json:"sp_error,omitempty"` // when Err was an *sp.Error
}

// storedSPErr keeps an *sp.Error's fields, so a reloaded one still answers
// sp.ProblemOf (its FixCode lets a page word its own advice) and errors.As.
type storedSPErr struct {
	Check     string            `json:"check"`
	Expected  string            `json:"expected,omitempty"`
	Received  string            `json:"received,omitempty"`
	Fix       string            `json:"fix,omitempty"`
	FixCode   string            `json:"fix_code,omitempty"`
	FixParams map[string]string `json:"fix_params,omitempty"`
	Cause     string            `json:"cause,omitempty"`
	Status    *sp.StatusError   `json:"status,omitempty"`
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
				var se *sp.Error
				if errors.As(c.Err, &se) && se == c.Err {
					sc.SPError = &storedSPErr{Check: se.Check, Expected: se.Expected, Received: se.Received, Fix: se.Fix, FixCode: se.FixCode, FixParams: se.FixParams}
					if se.Err != nil {
						sc.SPError.Cause = se.Err.Error()
						errors.As(se.Err, &sc.SPError.Status)
					}
				}
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
		switch e := sc.SPError; {
		case e != nil:
			se := &sp.Error{Kind: kindErr(sc.Kind), Check: e.Check, Expected: e.Expected, Received: e.Received, Fix: e.Fix, FixCode: e.FixCode, FixParams: e.FixParams}
			if e.Status != nil && e.Status.Error() == e.Cause {
				se.Err = e.Status
			} else if e.Cause != "" {
				se.Err = errors.New(e.Cause)
			}
			c.Err = se
		case sc.Err != "" || sc.Kind != "":
			c.Err = &storedError{text: sc.Err, kind: kindErr(sc.Kind)}
		}
		d.Checks = append(d.Checks, c)
	}
	t.Diagnosis = d
	return nil
}

func quote(s string) string { return strconv.Quote(s) }
