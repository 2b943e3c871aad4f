package sp

import (
	"context"
	"log/slog"

	"github.com/ssokit/saml/assertion"
)

const slogWarn = slog.LevelWarn

func errAttr(err error) slog.Attr { return slog.String("error", err.Error()) }

// result is what one run of the pipeline produced.
type result struct {
	checks    []Check
	assertion *assertion.Assertion
	err       error
}

func (s *SP) run(ctx context.Context, samlResponse string, requestIDs []string, diagnose bool) result {
	err := &Error{Kind: ErrMalformed, Check: "pipeline", Received: "not implemented yet"}
	return result{err: err, checks: []Check{{Name: "pipeline", Status: Failed, Received: err.Received, Err: err}}}
}
