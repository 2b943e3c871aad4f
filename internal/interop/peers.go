package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ssokit/saml/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvDir overrides where the peer scripts live. By default they are the ones in this
// repository, internal/interop/peers; set it only to try other copies of them.
const EnvDir = "SSOKIT_PEERS_DIR"

// python is the system interpreter on purpose: Debian's python3-pysaml2 and python3-lasso
// live in /usr/lib/python3/dist-packages, which a pyenv or venv python3 on PATH does not see.
const python = "/usr/bin/python3"

// runTimeout bounds one peer run. A run takes a second or two of CPU, but on a machine
// shared with other test binaries a pysaml2 run has been seen to take 40 s of wall time;
// the bound is there so that a hung PHP server or an xmlsec1 waiting on a terminal fails
// the test instead of stalling CI until go test's own timeout.
const runTimeout = 3 * time.Minute

// Dir returns the directory holding the peer scripts: internal/interop/peers, or EnvDir
// when set. The scripts ship with the repository, so they are missing only when EnvDir
// points elsewhere or the checkout is incomplete; that is reported through testenv.Missing
// (a skip locally, a failure under CI).
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(EnvDir)
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "peers")
	}
	if _, err := os.Stat(filepath.Join(dir, "peers_common.py")); err != nil {
		testenv.Missing(tb, "peer IdP scripts not found at %s: restore internal/interop/peers from git or unset %s", dir, EnvDir)
	}
	return dir
}

// Placement says which elements the IdP signs (the scripts' --sign).
type Placement string

const (
	SignAssertion Placement = "assertion"
	SignResponse  Placement = "response"
	SignBoth      Placement = "both"
	SignNone      Placement = "none"
)

// Signature algorithms as the scripts spell them (--sig-alg).
const (
	RSASHA256 = "rsa-sha256"
	RSASHA512 = "rsa-sha512"
)

// Attribute is one attribute the IdP is told to release, with all its values.
type Attribute struct {
	Name   string
	Values []string
}

// Options describe one response to issue. Zero values leave the script's defaults.
type Options struct {
	SPEntityID string
	ACSURL     string
	// AuthnRequest makes the run SP-initiated: the SP's HTTP-Redirect URL (SAMLRequest,
	// RelayState, SigAlg and Signature are handed to the IdP as they are). Empty means
	// IdP-initiated.
	AuthnRequest string
	// SPCertPEM, when set, makes SimpleSAMLphp and Lasso verify the AuthnRequest's redirect
	// signature against it. pysaml2's script has no such option.
	SPCertPEM []byte

	NameID       string
	NameIDFormat string // email, persistent, transient, unspecified
	Attributes   []Attribute
	Sign         Placement
	SigAlg       string

	// Extra arguments for the script, e.g. --sso-url for pysaml2.
	Extra []string
}

// Result is what a peer produced for one run, read from its output directory.
type Result struct {
	Dir      string
	Response string // base64 SAMLResponse, one line, as the HTTP-POST form carries it
	XML      []byte // the IdP's exact bytes
	CertPEM  []byte // IdP signing certificate
	Metadata []byte // IdP EntityDescriptor
	Info     map[string]any
	Stderr   string // warnings the script printed
}

// InfoString returns info.json's key as a string ("" when absent or not a string).
func (r *Result) InfoString(key string) string {
	s, _ := r.Info[key].(string)
	return s
}

// A Peer issues SAML responses as an independent IdP.
type Peer interface {
	Name() string
	// Issue runs the IdP once and collects its output from out (created if needed).
	Issue(ctx context.Context, opts Options, out string) (*Result, error)
}

// Peer names.
const (
	NamePySAML2       = "pysaml2"
	NameLasso         = "lasso"
	NameSimpleSAMLphp = "simplesamlphp"
)

var installLine = map[string]string{
	NamePySAML2:       "apt-get install -y python3-pysaml2 xmlsec1 openssl",
	NameLasso:         "apt-get install -y python3-lasso openssl",
	NameSimpleSAMLphp: "apt-get install -y simplesamlphp php-cli php-xml php-mbstring curl openssl",
}

var (
	missingMu    sync.Mutex
	missingCache = map[string]string{}
)

// Missing returns why peer cannot run here, including the apt-get line that fixes it, or ""
// when everything it needs is installed.
func Missing(peer string) string {
	missingMu.Lock()
	defer missingMu.Unlock()
	if why, ok := missingCache[peer]; ok {
		return why
	}
	why := probe(peer)
	if why != "" {
		why = fmt.Sprintf("%s cannot run: %s; install with: %s", peer, why, installLine[peer])
	}
	missingCache[peer] = why
	return why
}

// Require skips the test when peer's packages are absent.
func Require(tb testing.TB, peer string) {
	tb.Helper()
	if why := Missing(peer); why != "" {
		testenv.Missing(tb, "%s", why)
	}
}

func probe(peer string) string {
	commands := []string{"openssl"}
	switch peer {
	case NamePySAML2:
		commands = append(commands, "xmlsec1")
	case NameSimpleSAMLphp:
		commands = append(commands, "php", "curl", "bash")
	}
	if _, err := os.Stat(python); err != nil {
		return python + " not found"
	}
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			return c + " not on PATH"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch peer {
	case NamePySAML2:
		if err := exec.CommandContext(ctx, python, "-c", "import saml2").Run(); err != nil {
			return "python module saml2 not importable by " + python
		}
	case NameLasso:
		if err := exec.CommandContext(ctx, python, "-c", "import lasso").Run(); err != nil {
			return "python module lasso not importable by " + python
		}
	case NameSimpleSAMLphp:
		if st, err := os.Stat(sspWWW); err != nil || !st.IsDir() {
			return sspWWW + " missing"
		}
		// php-xml (DOM) is not a dependency of the simplesamlphp package.
		code := `exit(extension_loaded("dom") && extension_loaded("mbstring") ? 0 : 1);`
		if err := exec.CommandContext(ctx, "php", "-r", code).Run(); err != nil {
			return "php extensions dom and mbstring not both loaded"
		}
	default:
		return "unknown peer"
	}
	return ""
}

// scriptPeer runs a one-shot, in-process IdP script (pysaml2 or Lasso).
type scriptPeer struct {
	name   string
	script string
	// certFile and keyFile keep the IdP key pair the same across runs (--cert/--key).
	certFile, keyFile string
}

// NewPySAML2 returns the pysaml2 IdP from the scripts in dir. With certFile and keyFile
// set, every run signs with that key pair; otherwise each output directory gets its own.
func NewPySAML2(dir, certFile, keyFile string) Peer {
	return &scriptPeer{NamePySAML2, filepath.Join(dir, "pysaml2-idp.py"), certFile, keyFile}
}

// NewLasso returns the Lasso IdP from the scripts in dir; certFile and keyFile as for
// NewPySAML2.
func NewLasso(dir, certFile, keyFile string) Peer {
	return &scriptPeer{NameLasso, filepath.Join(dir, "lasso-idp.py"), certFile, keyFile}
}

func (p *scriptPeer) Name() string { return p.name }

func (p *scriptPeer) Issue(ctx context.Context, opts Options, out string) (*Result, error) {
	if len(opts.SPCertPEM) > 0 && p.name == NamePySAML2 {
		return nil, errors.New("interop: the pysaml2 script does not verify AuthnRequest signatures (no --sp-cert)")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	args, err := opts.args(out)
	if err != nil {
		return nil, err
	}
	if p.certFile != "" {
		args = append(args, "--cert", p.certFile, "--key", p.keyFile)
	}
	_, stderr, err := run(ctx, nil, python, append([]string{p.script}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("interop: %s: %w", p.name, err)
	}
	return collect(out, stderr)
}

// args turns opts into the options all three scripts share, writing the SP certificate
// into out when there is one.
func (o Options) args(out string) ([]string, error) {
	args := []string{"--out", out, "-q"}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	add("--sp-entity-id", o.SPEntityID)
	add("--acs-url", o.ACSURL)
	add("--authn-request", o.AuthnRequest)
	add("--nameid", o.NameID)
	add("--nameid-format", o.NameIDFormat)
	add("--sign", string(o.Sign))
	add("--sig-alg", o.SigAlg)
	for _, a := range o.Attributes {
		for _, v := range a.Values {
			args = append(args, "--attr", a.Name+"="+v)
		}
	}
	if len(o.SPCertPEM) > 0 {
		f := filepath.Join(out, "sp-cert.pem")
		if err := os.WriteFile(f, o.SPCertPEM, 0o644); err != nil {
			return nil, err
		}
		args = append(args, "--sp-cert", f)
	}
	return append(args, o.Extra...), nil
}

// run executes one command with a bounded time and returns its stdout and stderr; a
// failure's error carries the tail of stderr, which is where the scripts say what the IdP
// refused.
func run(ctx context.Context, env []string, name string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	// The scripts live in the checkout: Python must not leave __pycache__ there.
	cmd.Env = append(append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A background child that kept our pipes open must not hang the test.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			// Timed out: say so, so that a test expecting the IdP to refuse cannot pass on a hang.
			err = fmt.Errorf("%w after %v (%v)", ctx.Err(), runTimeout, err)
		}
		return stdout.String(), stderr.String(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), firstArg(args), err, tail(stderr.String(), 2000))
	}
	return stdout.String(), stderr.String(), nil
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return filepath.Base(args[0])
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// collect reads a peer's output directory.
func collect(out, stderr string) (*Result, error) {
	r := &Result{Dir: out, Stderr: stderr}
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			return nil, fmt.Errorf("interop: peer output: %w", err)
		}
		return b, nil
	}
	b64, err := read("response.b64")
	if err != nil {
		return nil, err
	}
	r.Response = strings.TrimSpace(string(b64))
	if r.XML, err = read("response.xml"); err != nil {
		return nil, err
	}
	if r.CertPEM, err = read("idp-cert.pem"); err != nil {
		return nil, err
	}
	if r.Metadata, err = read("idp-metadata.xml"); err != nil {
		return nil, err
	}
	info, err := read("info.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(info, &r.Info); err != nil {
		return nil, fmt.Errorf("interop: peer info.json: %w", err)
	}
	return r, nil
}
