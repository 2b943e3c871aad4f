package sp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

// Config configures a service provider. (Skeleton: fields will grow.)
type Config struct {
	EntityID          string
	ACSURL            string
	IdP               *metadata.IdP
	AllowIdPInitiated bool
	ClockSkew         time.Duration
	Now               func() time.Time

	// Key is the SP's own key pair: signs AuthnRequests, decrypts EncryptedAssertions,
	// and is published in SP metadata. Optional.
	Key *certs.KeyPair

	// ReplayCache remembers consumed assertion IDs. Nil means an in-memory cache.
	ReplayCache ReplayCache

	Logger *slog.Logger
}

// SP is a configured SAML service provider.
type SP struct {
	cfg Config
}

func New(cfg Config) (*SP, error) {
	return &SP{cfg: cfg}, nil
}

func (s *SP) ValidateResponse(ctx context.Context, samlResponse string, requestIDs ...string) (*assertion.Assertion, error) {
	return nil, errors.New("sp: not implemented")
}
