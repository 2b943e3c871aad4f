package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// sspWWW is where Debian's simplesamlphp package puts the web root.
const sspWWW = "/usr/share/simplesamlphp/www"

// SimpleSAMLphp is a running SimpleSAMLphp IdP on 127.0.0.1 (php -S, started by
// simplesamlphp-idp.sh). One server issues many responses: the script re-registers the SP
// and user for each issue, and logs in afresh with curl.
type SimpleSAMLphp struct {
	script string
	state  string

	// BaseURL is the server's root, e.g. http://127.0.0.1:41234/.
	BaseURL string
	// EntityID is the IdP's entity ID (its metadata URL under BaseURL).
	EntityID string
	// PID is the php -S process, which Stop ends.
	PID string

	// The script keeps one issue.json per state directory, so issues must not overlap.
	mu sync.Mutex

	stopOnce sync.Once
	stopErr  error
}

// StartSimpleSAMLphp starts a SimpleSAMLphp IdP from the scripts in dir, keeping all its
// state (config, key, sessions, logs) under state, which Stop deletes.
func StartSimpleSAMLphp(ctx context.Context, dir, state string) (*SimpleSAMLphp, error) {
	s := &SimpleSAMLphp{script: filepath.Join(dir, "simplesamlphp-idp.sh"), state: state}
	stdout, _, err := run(ctx, s.env(), "bash", s.script, "start")
	if err != nil {
		return nil, fmt.Errorf("interop: start SimpleSAMLphp: %w", err)
	}
	for _, line := range strings.Split(stdout, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "SSP_IDP_BASE":
			s.BaseURL = v
		case "SSP_IDP_ENTITY_ID":
			s.EntityID = v
		case "SSP_IDP_PID":
			s.PID = v
		}
	}
	if s.BaseURL == "" || s.EntityID == "" {
		_ = s.Stop()
		return nil, fmt.Errorf("interop: SimpleSAMLphp start printed no base URL or entity ID:\n%s", stdout)
	}
	return s, nil
}

func (s *SimpleSAMLphp) env() []string { return []string{"SSP_IDP_STATE=" + s.state} }

// Name implements Peer.
func (s *SimpleSAMLphp) Name() string { return NameSimpleSAMLphp }

// SSOURL is the IdP's SingleSignOnService (HTTP-Redirect and HTTP-POST).
func (s *SimpleSAMLphp) SSOURL() string { return s.BaseURL + "saml2/idp/SSOService.php" }

// Issue implements Peer: one login at the IdP, IdP- or SP-initiated.
func (s *SimpleSAMLphp) Issue(ctx context.Context, opts Options, out string) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	args, err := opts.args(out)
	if err != nil {
		return nil, err
	}
	_, stderr, err := run(ctx, s.env(), "bash", append([]string{s.script, "issue"}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("interop: %s: %w", s.Name(), err)
	}
	return collect(out, stderr)
}

// Stop ends the server (by the PID the script recorded and checked) and deletes its state.
// Only the first call does anything; later ones return its result.
func (s *SimpleSAMLphp) Stop() error {
	if s == nil {
		return nil
	}
	s.stopOnce.Do(func() {
		if _, _, err := run(context.Background(), s.env(), "bash", s.script, "stop"); err != nil {
			s.stopErr = fmt.Errorf("interop: stop SimpleSAMLphp: %w", err)
			return
		}
		if _, err := os.Stat(filepath.Join(s.state, "server.pid")); !errors.Is(err, os.ErrNotExist) {
			s.stopErr = fmt.Errorf("interop: SimpleSAMLphp state %s still holds a pid file after stop", s.state)
		}
	})
	return s.stopErr
}

// SLO starts a Single Logout exchange (simplesamlphp-idp.sh slo, mode "sp-initiated" or
// "idp-initiated") for the browser whose cookies an Issue with Extra
// "--cookie-jar", jar (and "--slo-url") left in jar. The server takes no other issue
// until the session's Wait.
func (s *SimpleSAMLphp) SLO(ctx context.Context, mode, jar string) (*SLOSession, error) {
	s.mu.Lock()
	sess, err := startSLO(ctx, s.env(), "bash", s.script, "slo", "--mode", mode, "--cookie-jar", jar)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	sess.release = s.mu.Unlock
	return sess, nil
}
