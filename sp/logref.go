package sp

import "context"

type refKey struct{}

// WithRef returns a context under which ValidateResponse's log record of a rejection
// (Config.Logger) carries ref, the correlation ID the caller shows the user, so the
// one record of each rejection has both the reference and the check that failed.
// sp/web passes the reference its error page quotes.
func WithRef(ctx context.Context, ref string) context.Context {
	return context.WithValue(ctx, refKey{}, ref)
}

func refFrom(ctx context.Context) (string, bool) {
	ref, ok := ctx.Value(refKey{}).(string)
	return ref, ok
}
