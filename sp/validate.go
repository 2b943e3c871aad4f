package sp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/xmldsig"
)

// logRejection tells the administrator why a response was refused.
func (s *SP) logRejection(ctx context.Context, err error) {
	if s.cfg.Logger == nil {
		return
	}
	attrs := []slog.Attr{slog.Any("err", err), slog.String("kind", KindOf(err))}
	var e *Error
	if errors.As(err, &e) {
		attrs = append(attrs, slog.String("check", e.Check))
		if e.FixCode != "" {
			attrs = append(attrs, slog.String("fix", e.FixCode))
		}
	}
	if ref, ok := refFrom(ctx); ok {
		attrs = append(attrs, slog.String("ref", ref))
	}
	level := slog.LevelWarn
	if errors.Is(err, ErrUnavailable) {
		level = slog.LevelError // an outage to alert on, not a bad response
	}
	s.cfg.Logger.LogAttrs(ctx, level, "saml: response rejected", attrs...)
}

// state is one response travelling through the pipeline. Checks fill it in order.
type state struct {
	sp         *SP
	ctx        context.Context
	now        time.Time
	requestIDs []string

	encoded string
	xml     []byte
	doc     *etree.Document
	ids     map[string]bool // every ID attribute value in the document(s)

	// Every {assertion}Assertion / EncryptedAssertion and {dsig}Signature element, as
	// the gate's walk met them.
	assertions, signatures []*etree.Element

	// As received. Each is written once: by the shape check, or for an encrypted
	// assertion (received, assertSig) by the decryption check.
	resp      *etree.Element // the Response root
	respSig   *etree.Element // its direct-child Signature, if any
	encrypted *etree.Element // the EncryptedAssertion child, if any
	received  *etree.Element // the Assertion: the received child, or the decrypted one
	assertSig *etree.Element // its direct-child Signature, if any

	// The signature stage, each written once by its own check.
	respV   *xmldsig.Verified // by the response signature check
	assertV *xmldsig.Verified // by the assertion signature check

	// trust is what the signature stage established, made once by the coverage check
	// from the signatures above; nil when no trusted signature covers the assertion.
	// Every later check and the result only read it.
	trust *trust
	// foreignSigner: a signature check found an unknown signer on a response that
	// claims another IdP's Issuer, and said so; the issuer checks give the same fix.
	foreignSigner bool
	// expired: a validity window already ended (the response expired), so the issue
	// instant's age is not a second thing to fix.
	expired bool
	// stop: a check that did not fail itself but after which nothing can run (decryption
	// after a failed Response signature; the checks of a decrypted assertion no trusted
	// signature covers) names it here, and the checks after it are not run.
	stop string

	// Read by the checks, used to build the result.
	subjectConfirmation *etree.Element // the bearer SubjectConfirmationData that matched
	inResponseTo        string
	notOnOrAfter        time.Time // earliest end of any validity window
	issueInstant        time.Time
	out                 *assertion.Assertion
}

// check is one step of the pipeline. Validate and Diagnose run the same list: Validate
// stops at the first failure; Diagnose goes on, except after a gate check.
type check struct {
	name string
	gate bool // later checks cannot run without this one
	run  func(st *state) Check
}

// pipeline is the ACS pipeline, in run order (SECURITY.md, "The rules response validation
// keeps", says why each rule exists). Each check's file names its step: 1 form value,
// 2 gate, 3 shape, 4 Response signature, 5 decryption, 6 Assertion signature and
// coverage, 7 Response checks, 8 assertion checks, 9 the result, 10 replay.
var pipeline = []check{
	{name: "size", gate: true, run: checkSize},
	{name: "base64", gate: true, run: checkBase64},
	{name: "xml", gate: true, run: checkXML},
	{name: "shape", gate: true, run: checkShape},
	{name: "response signature", run: checkResponseSignature},
	{name: "decryption", gate: true, run: checkDecryption},
	{name: "assertion signature", run: checkAssertionSignature},
	{name: "signature coverage", run: checkCoverage},
	{name: "signer validity", run: checkSignerValidity},
	{name: "version", run: checkVersion},
	{name: "status", run: checkStatus},
	{name: "destination", run: checkDestination},
	{name: "response issuer", run: checkResponseIssuer},
	{name: "assertion issuer", run: checkAssertionIssuer},
	{name: "recipient", run: checkRecipient},
	{name: "subject confirmation time", run: checkConfirmationTime},
	{name: "conditions time", run: checkConditionsTime},
	{name: "issue instant", run: checkIssueInstant},
	{name: "audience", run: checkAudience},
	{name: "in response to", run: checkInResponseTo},
	{name: "assertion", run: checkBuild},
	{name: "replay", run: checkReplay},
}

// result is what one run of the pipeline produced.
type result struct {
	checks    []Check
	assertion *assertion.Assertion
	err       error
}

func (s *SP) run(ctx context.Context, samlResponse string, requestIDs []string, diagnose bool) result {
	st := &state{sp: s, ctx: ctx, now: s.now(), requestIDs: requestIDs, encoded: samlResponse}
	var r result
	if diagnose {
		r.checks = make([]Check, 0, len(pipeline))
	}
	blocked := ""
	for _, c := range pipeline {
		if blocked != "" {
			r.checks = append(r.checks, Check{Name: c.name, Status: NotRun, Received: "not run: " + blocked + " failed"})
			continue
		}
		res := c.run(st)
		res.Name = c.name
		if e, ok := res.Err.(*Error); ok && e.Check != "" {
			// A step may fail on another step's rule (shape reports a refused Status
			// when there is no assertion): name the rule that failed.
			res.Name = e.Check
		}
		if res.Status == Failed {
			if res.Err == nil {
				// Every check fails through failed or failedErr, which set Err (with its
				// Fix code); this only keeps a future slip from returning a nil error.
				res.Err = &Error{Kind: ErrMalformed, Check: c.name, Expected: res.Expected, Received: res.Received}
			}
			if r.err == nil {
				r.err = res.Err
			}
			if !diagnose {
				return r
			}
			if c.gate {
				blocked = res.Name
			}
		}
		if st.stop != "" && blocked == "" {
			blocked = st.stop
			if r.err == nil {
				// A stop follows the failure it names; never let one pass without it.
				res = failed(ErrMalformed, c.name, "", "not run after "+st.stop, Fix{})
				r.err = res.Err
				if !diagnose {
					return r
				}
			}
		}
		if diagnose {
			r.checks = append(r.checks, res)
		}
	}
	if st.trust != nil {
		r.assertion = st.out
	}
	return r
}

// Constructors for a check's outcome.

func passed(expected, received string) Check {
	return Check{Status: Passed, Expected: expected, Received: received}
}

func notApplicable(why string) Check {
	return Check{Status: NotRun, Received: why}
}

// failed builds a failed check whose Err is the *Error ValidateResponse returns.
func failed(kind error, name, expected, received string, f Fix) Check {
	return Check{Status: Failed, Expected: expected, Received: received, Fix: f.Text,
		Err: &Error{Kind: kind, Check: name, Expected: expected, Received: received, Fix: f.Text, FixCode: f.Code, FixParams: f.Params}}
}

func failedErr(e *Error) Check {
	return Check{Status: Failed, Expected: e.Expected, Received: e.Received, Fix: e.Fix, Err: e}
}
