package orgs_test

import (
	"os"
	"testing"

	"github.com/ssokit/saml/internal/testenv"
)

// TestMain ends the run with one line counting the tests skipped for a missing component.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
