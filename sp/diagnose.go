package sp

import (
	"context"

	"github.com/ssokit/saml/assertion"
)

// Status is the outcome of one Check.
type Status string

const (
	Passed Status = "passed"
	Failed Status = "failed"
	NotRun Status = "not run" // an earlier check failed so this one could not run, or it does not apply
)

// Check is one step of response validation, as Diagnose reports it.
type Check struct {
	Name     string // e.g. "audience"
	Status   Status
	Expected string // what this SP is configured to accept
	Received string // what the response carried
	Fix      string // for a failed check: what to change, and where
	Err      error  // for a failed check: the error ValidateResponse would return
}

// Diagnosis is the full report of Diagnose.
type Diagnosis struct {
	Checks []Check
	// Assertion is what ValidateResponse would return: set only when OK.
	Assertion *assertion.Assertion
	// Signed is the assertion as a trusted signature covered it, set even when other
	// checks failed (a wrong audience, an expired window), so an admin can see what the
	// IdP sent. It is for display only: never sign anyone in with it. Nil when no trusted
	// signature covered an assertion.
	Signed *assertion.Assertion
	// OK reports whether every check passed: ValidateResponse would have accepted it.
	OK bool
}

// Failed returns the checks that failed, in pipeline order.
func (d *Diagnosis) Failed() []Check {
	var out []Check
	for _, c := range d.Checks {
		if c.Status == Failed {
			out = append(out, c)
		}
	}
	return out
}

// Diagnose runs every check ValidateResponse runs, but does not stop at the first
// failure: it reports each check with what was expected and what arrived, for the
// "Test SAML configuration" page of an admin. Checks after a failed signature check
// read the unverified response, so their findings are hints only.
//
// Diagnose never logs anyone in. A verified assertion's ID is still recorded in the
// replay cache, so a test response cannot later be replayed to ValidateResponse.
func (s *SP) Diagnose(ctx context.Context, samlResponse string, requestIDs ...string) *Diagnosis {
	if s.live != nil {
		return s.live.diagnose(ctx, samlResponse, requestIDs)
	}
	return s.diagnose(ctx, samlResponse, requestIDs)
}

func (s *SP) diagnose(ctx context.Context, samlResponse string, requestIDs []string) *Diagnosis {
	r := s.run(ctx, samlResponse, requestIDs, true)
	d := &Diagnosis{Checks: r.checks, Signed: r.assertion, OK: r.err == nil}
	if d.OK {
		d.Assertion = r.assertion
		s.recordSigner(ctx, r.assertion)
	}
	return d
}
