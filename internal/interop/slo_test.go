package interop

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// Single Logout with the peers, HTTP-Redirect both ways, every message signed and every
// signature required on both sides: SP-initiated (our LogoutRequest, the peer's
// LogoutResponse) and IdP-initiated (the peer's LogoutRequest, our LogoutResponse, which
// the peer checks). Our SP reads the peer's messages with sp.ValidateLogout, as the
// sp/web Logout handler does.

const (
	sloURL       = "https://sp.example.test/saml/logout"
	sessionIndex = "_si-interop-1"
)

// sloPeer is how one peer's SLO script is run.
type sloPeer struct {
	name, script     string
	entityID, sloURL string
}

// unsignedRefusal is how each peer says an unsigned LogoutRequest was refused.
var unsignedRefusal = map[string]string{
	NamePySAML2: "the SP's message is not signed",
	NameLasso:   "processRequestMsg failed",
}

var sloPeers = []sloPeer{
	{NamePySAML2, SLOScriptPySAML2, "https://pysaml2-idp.test/idp/metadata", "https://pysaml2-idp.test/idp/slo"},
	{NameLasso, SLOScriptLasso, "https://lasso-idp.test/idp/metadata", "https://lasso-idp.test/idp/slo"},
}

// sloKeys are generated once: the IdP's and our SP's key pairs.
var sloKeys = sync.OnceValues(func() ([2]*certs.KeyPair, error) {
	var out [2]*certs.KeyPair
	for i, cn := range []string{"peer idp", "sp.example.test"} {
		kp, err := certs.GenerateKeyPair(cn, time.Now().Add(-time.Hour), 24*time.Hour)
		if err != nil {
			return out, err
		}
		out[i] = kp
	}
	return out, nil
})

// sloRig is our SP for one peer, and the files the peer's script reads.
type sloRig struct {
	peer    sloPeer
	sp      *sp.SP
	spKey   *certs.KeyPair
	dir     string
	args    []string
	subject sp.LogoutSubject
}

func newSLORig(t *testing.T, p sloPeer, edit func(*sp.Config)) *sloRig {
	t.Helper()
	Require(t, p.name)
	keys, err := sloKeys()
	if err != nil {
		t.Fatal(err)
	}
	idpKey, spKey := keys[0], keys[1]
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(idpKey.Key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := write("idp-cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idpKey.Certificate.Raw}))
	keyFile := write("idp-key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	cfg := sp.Config{
		EntityID: spEntityID,
		ACSURL:   acsURL,
		Key:      spKey,
		IdP: &metadata.IdP{EntityID: p.entityID, SSOURL: strings.Replace(p.sloURL, "slo", "sso", 1), SLOURL: p.sloURL,
			Certificates: []*x509.Certificate{idpKey.Certificate}},
		Logout: sp.LogoutConfig{URL: sloURL, SignMessages: true, RequireSignedRequests: true, RequireSignedResponses: true},
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := sp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	md, err := s.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	mdFile := write("sp-metadata.xml", md)
	return &sloRig{peer: p, sp: s, spKey: spKey, dir: dir,
		args: []string{"--sp-metadata", mdFile, "--idp-entity-id", p.entityID, "--slo-url", p.sloURL,
			"--cert", certFile, "--key", keyFile, "--out", dir, "--require-signed"},
		subject: sp.LogoutSubject{NameID: assertion.NameID{Value: nameID, Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
			NameQualifier: p.entityID, SPNameQualifier: spEntityID}, SessionIndex: sessionIndex},
	}
}

func (g *sloRig) start(t *testing.T, mode string, extra ...string) *SLOSession {
	t.Helper()
	s, err := StartSLO(context.Background(), Dir(t), g.peer.script, append(append([]string{"--mode", mode}, g.args...), extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Wait() })
	return s
}

func (g *sloRig) readLine(t *testing.T, s *SLOSession) string {
	t.Helper()
	line, err := s.ReadLine()
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// ready reads the peer's "ready" line; a peer that signed the user in itself (Lasso)
// adds the NameID and SessionIndex it gave the SP, which our LogoutRequest then names.
func (g *sloRig) ready(t *testing.T, s *SLOSession) {
	t.Helper()
	line := g.readLine(t, s)
	js, ok := strings.CutPrefix(line, "ready")
	if !ok {
		t.Fatalf("peer said %q, want ready", line)
	}
	if js = strings.TrimSpace(js); js == "" {
		return
	}
	var sub struct{ NameID, Format, NameQualifier, SPNameQualifier, SessionIndex string }
	var raw map[string]string
	if err := json.Unmarshal([]byte(js), &raw); err != nil {
		t.Fatalf("peer's ready line: %v", err)
	}
	sub.NameID, sub.Format, sub.NameQualifier, sub.SPNameQualifier, sub.SessionIndex = raw["name_id"], raw["format"], raw["name_qualifier"], raw["sp_name_qualifier"], raw["session_index"]
	g.subject = sp.LogoutSubject{NameID: assertion.NameID{Value: sub.NameID, Format: sub.Format, NameQualifier: sub.NameQualifier, SPNameQualifier: sub.SPNameQualifier},
		SessionIndex: sub.SessionIndex}
}

// spInitiated sends our LogoutRequest (as LogoutRequestURL made it, then edited by
// alter) and returns the peer's answer as our SP reads it.
func (g *sloRig) spInitiated(t *testing.T, alterAnswer func(string) string) (*sp.LogoutMessage, error) {
	t.Helper()
	s := g.start(t, "sp-initiated")
	g.ready(t, s)
	u, id, err := g.sp.LogoutRequestURL(g.subject, "rs-ours")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteLine(u); err != nil {
		t.Fatal(err)
	}
	answer := g.readLine(t, s)
	if err := s.Wait(); err != nil {
		t.Fatalf("the peer failed after answering: %v", err)
	}
	if !strings.HasPrefix(answer, sloURL+"?") {
		t.Fatalf("the peer answered to %q, want our Logout URL %s\nstderr: %s", answer, sloURL, s.Stderr())
	}
	if alterAnswer != nil {
		answer = alterAnswer(answer)
	}
	return g.sp.ValidateLogout(context.Background(), httptest.NewRequest("GET", answer, nil), id)
}

func TestSLOInterop(t *testing.T) {
	for _, p := range sloPeers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			t.Run("sp-initiated", func(t *testing.T) {
				g := newSLORig(t, p, nil)
				msg, err := g.spInitiated(t, nil)
				if err != nil {
					t.Fatalf("our SP refused %s's LogoutResponse: %v", p.name, err)
				}
				r := msg.Response
				if r == nil || r.Signer == nil || r.Issuer != p.entityID || r.RelayState != "rs-ours" || r.Partial {
					t.Errorf("LogoutResponse %+v: want one signed by the peer, from %s, RelayState carried back", r, p.entityID)
				}
			})
			t.Run("sp-initiated tampered answer refused", func(t *testing.T) {
				g := newSLORig(t, p, nil)
				_, err := g.spInitiated(t, func(u string) string {
					// Another RelayState than the one the peer signed.
					return strings.Replace(u, "RelayState=rs-ours", "RelayState=rs-other", 1)
				})
				if !errors.Is(err, sp.ErrSignature) {
					t.Errorf("a LogoutResponse whose signed query was altered: %v, want ErrSignature", err)
				}
			})
			t.Run("sp-initiated unsigned request refused by the peer", func(t *testing.T) {
				g := newSLORig(t, p, func(c *sp.Config) { c.Logout.SignMessages = false })
				s := g.start(t, "sp-initiated")
				g.ready(t, s)
				u, _, err := g.sp.LogoutRequestURL(g.subject, "")
				if err != nil {
					t.Fatal(err)
				}
				_ = s.WriteLine(u)
				if line, err := s.ReadLine(); err == nil {
					t.Errorf("the peer answered an unsigned LogoutRequest it was told to refuse: %s", line)
				} else if !strings.Contains(err.Error(), unsignedRefusal[p.name]) {
					t.Errorf("the peer failed, but not for the missing signature: %v", err)
				}
			})
			t.Run("idp-initiated", func(t *testing.T) {
				g := newSLORig(t, p, nil)
				s := g.start(t, "idp-initiated", "--nameid", nameID, "--session-index", sessionIndex)
				u := g.readLine(t, s)
				msg, err := g.sp.ValidateLogout(context.Background(), httptest.NewRequest("GET", u, nil))
				if err != nil {
					t.Fatalf("our SP refused %s's LogoutRequest: %v\nstderr: %s", p.name, err, s.Stderr())
				}
				req := msg.Request
				if req == nil || req.Signer == nil || req.NameID.Value != nameID || len(req.SessionIndexes) != 1 || !req.Matches(req.NameID, req.SessionIndexes[0]) {
					t.Fatalf("LogoutRequest %+v: want a signed one for %s with one SessionIndex", req, nameID)
				}
				if p.name == NamePySAML2 && req.SessionIndexes[0] != sessionIndex {
					t.Errorf("SessionIndex %v, want the %s we gave pysaml2", req.SessionIndexes, sessionIndex)
				}
				answer, err := g.sp.LogoutResponseURL(req)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.WriteLine(answer); err != nil {
					t.Fatal(err)
				}
				if got := g.readLine(t, s); !strings.HasPrefix(got, "ok ") {
					t.Errorf("the peer said %q about our LogoutResponse", got)
				}
				if err := s.Wait(); err != nil {
					t.Errorf("the peer refused our LogoutResponse: %v", err)
				}
				// The same request again is a replay.
				if _, err := g.sp.ValidateLogout(context.Background(), httptest.NewRequest("GET", u, nil)); !errors.Is(err, sp.ErrReplay) {
					t.Errorf("the peer's LogoutRequest a second time: %v, want ErrReplay", err)
				}
			})
			t.Run("idp-initiated from another key refused", func(t *testing.T) {
				other, err := certs.GenerateKeyPair("not the idp", time.Now().Add(-time.Hour), 24*time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				g := newSLORig(t, p, func(c *sp.Config) { c.IdP.Certificates = []*x509.Certificate{other.Certificate} })
				s := g.start(t, "idp-initiated", "--nameid", nameID, "--session-index", sessionIndex)
				u := g.readLine(t, s)
				if _, err := g.sp.ValidateLogout(context.Background(), httptest.NewRequest("GET", u, nil)); !errors.Is(err, sp.ErrSignature) {
					t.Errorf("a LogoutRequest signed by a key we do not trust: %v, want ErrSignature", err)
				}
			})
		})
	}
}

// SimpleSAMLphp: a real IdP session. SSP signs the user in to our SP (IdP-initiated, its
// cookies kept), our SP validates that response, and the logout exchange runs against
// SSP's own SingleLogoutService.php with the same cookies; SSP verifies our signatures
// (validate.logout with our certificate) and signs its own (sign.logout).
func TestSLOInteropSimpleSAMLphp(t *testing.T) {
	ssp := simpleSAMLphp(t)
	keys, err := sloKeys()
	if err != nil {
		t.Fatal(err)
	}
	spKey := keys[1]
	spCertPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: spKey.Certificate.Raw})
	signIn := func(t *testing.T) (*sp.SP, string, sp.LogoutSubject) {
		t.Helper()
		dir := t.TempDir()
		jar := filepath.Join(dir, "cookies")
		res, err := ssp.Issue(context.Background(), Options{SPEntityID: spEntityID, ACSURL: acsURL, NameID: nameID, SPCertPEM: spCertPEM,
			Extra: []string{"--slo-url", sloURL, "--cookie-jar", jar}}, filepath.Join(dir, "out"))
		if err != nil {
			t.Fatal(err)
		}
		idp, err := metadata.ParseIdP(res.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		if idp.SLOURL != ssp.BaseURL+"saml2/idp/SingleLogoutService.php" {
			t.Fatalf("SSP metadata's SingleLogoutService %q", idp.SLOURL)
		}
		s, err := sp.New(sp.Config{EntityID: spEntityID, ACSURL: acsURL, Key: spKey, IdP: idp, AllowIdPInitiated: true,
			Logout: sp.LogoutConfig{URL: sloURL, SignMessages: true, RequireSignedRequests: true, RequireSignedResponses: true}})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.ValidateResponse(context.Background(), res.Response)
		if err != nil {
			t.Fatalf("our SP refused SSP's login response: %v", err)
		}
		if a.SessionIndex == "" {
			t.Fatal("SSP's assertion has no SessionIndex")
		}
		return s, jar, sp.LogoutSubject{NameID: a.NameID, SessionIndex: a.SessionIndex}
	}
	read := func(t *testing.T, s *SLOSession) string {
		t.Helper()
		line, err := s.ReadLine()
		if err != nil {
			t.Fatal(err)
		}
		return line
	}

	t.Run("sp-initiated", func(t *testing.T) {
		s, jar, subject := signIn(t)
		conv, err := ssp.SLO(context.Background(), "sp-initiated", jar)
		if err != nil {
			t.Fatal(err)
		}
		defer conv.Wait()
		read(t, conv)
		u, id, err := s.LogoutRequestURL(subject, "rs-ours")
		if err != nil {
			t.Fatal(err)
		}
		_ = conv.WriteLine(u)
		answer := read(t, conv)
		if err := conv.Wait(); err != nil {
			t.Fatal(err)
		}
		altered := strings.Replace(answer, "RelayState=rs-ours", "RelayState=rs-other", 1)
		if _, err := s.ValidateLogout(context.Background(), httptest.NewRequest("GET", altered, nil), id); !errors.Is(err, sp.ErrSignature) {
			t.Errorf("SSP's LogoutResponse with its signed query altered: %v, want ErrSignature", err)
		}
		msg, err := s.ValidateLogout(context.Background(), httptest.NewRequest("GET", answer, nil), id)
		if err != nil {
			t.Fatalf("our SP refused SSP's LogoutResponse %s: %v", answer, err)
		}
		if r := msg.Response; r == nil || r.Signer == nil || r.RelayState != "rs-ours" {
			t.Errorf("LogoutResponse %+v: want one signed by SSP, RelayState carried back", msg.Response)
		}
	})
	t.Run("sp-initiated unsigned request refused by SSP", func(t *testing.T) {
		s, jar, subject := signIn(t)
		cfg := s.Config()
		cfg.Logout.SignMessages = false
		unsigned, err := sp.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		conv, err := ssp.SLO(context.Background(), "sp-initiated", jar)
		if err != nil {
			t.Fatal(err)
		}
		defer conv.Wait()
		read(t, conv)
		u, _, err := unsigned.LogoutRequestURL(subject, "")
		if err != nil {
			t.Fatal(err)
		}
		_ = conv.WriteLine(u)
		if line, err := conv.ReadLine(); err == nil {
			t.Errorf("SSP answered an unsigned LogoutRequest (validate.logout is on): %s", line)
		} else if !strings.Contains(err.Error(), "no signature found on message") {
			t.Errorf("SSP failed, but not for the missing signature: %v", err)
		}
	})
	t.Run("idp-initiated", func(t *testing.T) {
		s, jar, subject := signIn(t)
		conv, err := ssp.SLO(context.Background(), "idp-initiated", jar)
		if err != nil {
			t.Fatal(err)
		}
		defer conv.Wait()
		u := read(t, conv)
		msg, err := s.ValidateLogout(context.Background(), httptest.NewRequest("GET", u, nil))
		if err != nil {
			t.Fatalf("our SP refused SSP's LogoutRequest %s: %v", u, err)
		}
		req := msg.Request
		if req == nil || req.Signer == nil || !req.Matches(subject.NameID, subject.SessionIndex) {
			t.Fatalf("LogoutRequest %+v: want a signed one for the session %+v", req, subject)
		}
		answer, err := s.LogoutResponseURL(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = conv.WriteLine(answer)
		if got := read(t, conv); !strings.HasPrefix(got, "ok ") {
			t.Errorf("SSP said %q about our LogoutResponse", got)
		}
		if err := conv.Wait(); err != nil {
			t.Errorf("SSP refused our LogoutResponse: %v", err)
		}
	})
}
