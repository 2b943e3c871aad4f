package web

import (
	"context"
	"time"
)

// PendingRequest is an AuthnRequest this SP sent and still waits an answer for.
type PendingRequest struct {
	ID       string // the AuthnRequest ID
	ReturnTo string // where to send the browser after login (a same-origin path)
}

// RequestStore keeps outstanding AuthnRequests on the server, keyed by RelayState,
// for apps that prefer server-side state to the default signed cookie.
type RequestStore interface {
	Save(ctx context.Context, relayState string, req PendingRequest, until time.Time) error
	// Take returns the request saved under relayState and deletes it, so it is used once.
	// It returns an error wrapping sp.ErrInResponseTo when there is none.
	Take(ctx context.Context, relayState string) (PendingRequest, error)
}
