package orgs_test

import (
	"testing"

	"github.com/ssokit/saml/sp/orgs"
	"github.com/ssokit/saml/sp/orgs/internal/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, retention int) (orgs.Store, func() orgs.Store) {
		s := orgs.NewMemoryStore()
		s.Retention = retention
		// A memory store's data lives as long as the process: "reopening" is the same store.
		return s, func() orgs.Store { return s }
	})
}
