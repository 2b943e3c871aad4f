// Command orgsso is a multi-organization web app where each organization connects its own
// SAML identity provider, the way the Hugging Face Enterprise Hub does: an admin copies the
// org's ACS URL and SP Entity ID into Entra ID, pastes back Entra's Login URL and
// certificate, clicks "Update and Test SAML configuration", and enables SSO.
//
// It embeds a demo IdP that behaves like Entra, so it runs with no Azure tenant:
//
//	go run ./examples/orgsso
//
// then open http://127.0.0.1:8080. See README.md for the walk-through and for pointing an
// organization at a real Entra tenant.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/demoidp"
)

// options are the command-line settings; every flag also reads an ORGSSO_* variable.
type options struct {
	Addr          string // listen address
	BaseURL       string // external URL; empty means http://<Addr>
	DB            string // SQLite file
	EntraLoginURL string // preconfigure an org against a real Entra tenant …
	EntraCert     string // … with this certificate file (Certificate (Base64))
	EntraOrg      string // … under this organization ID
	NoDemo        bool   // do not mount the demo IdP
}

func main() {
	var o options
	flag.StringVar(&o.Addr, "addr", env("ORGSSO_ADDR", "127.0.0.1:8080"), "listen address (ORGSSO_ADDR)")
	flag.StringVar(&o.BaseURL, "base-url", env("ORGSSO_BASE_URL", ""), "external base URL, e.g. https://sso.example.com (ORGSSO_BASE_URL); default http://<addr>")
	flag.StringVar(&o.DB, "db", env("ORGSSO_DB", "orgsso.db"), "SQLite database file (ORGSSO_DB)")
	flag.StringVar(&o.EntraLoginURL, "entra-login-url", env("ORGSSO_ENTRA_LOGIN_URL", ""), "Entra Login URL to preconfigure an organization with (ORGSSO_ENTRA_LOGIN_URL)")
	flag.StringVar(&o.EntraCert, "entra-cert", env("ORGSSO_ENTRA_CERT", ""), "file with Entra's Certificate (Base64) for -entra-login-url (ORGSSO_ENTRA_CERT)")
	flag.StringVar(&o.EntraOrg, "entra-org", env("ORGSSO_ENTRA_ORG", "contoso"), "organization ID for -entra-login-url (ORGSSO_ENTRA_ORG)")
	flag.BoolVar(&o.NoDemo, "no-demo-idp", os.Getenv("ORGSSO_NO_DEMO_IDP") != "", "do not mount the demo IdP at /demo-idp/ (ORGSSO_NO_DEMO_IDP)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(o, logger); err != nil {
		logger.Error("orgsso", "err", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(o options, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	if o.BaseURL == "" {
		o.BaseURL = "http://" + ln.Addr().String()
	}
	store, err := OpenStore(o.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	app, err := setup(context.Background(), o, store, time.Now, logger)
	if err != nil {
		return err
	}
	fmt.Printf("orgsso: open %s (database %s)\n", o.BaseURL, o.DB)
	if app.demo != nil {
		fmt.Printf("orgsso: demo IdP at %s/demo-idp/ (Login URL %s)\n", o.BaseURL, app.demo.LoginURL())
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// setup builds the app around store: the demo IdP (its key kept in the database, so the
// certificate pasted into an organization stays valid across restarts), the demo
// organization on first start, and the Entra organization from the flags.
func setup(ctx context.Context, o options, store *Store, now func() time.Time, logger *slog.Logger) (*App, error) {
	var demo *demoidp.IdP
	if !o.NoDemo {
		key, err := demoKey(ctx, store, now())
		if err != nil {
			return nil, fmt.Errorf("demo IdP key: %w", err)
		}
		demo, err = demoidp.New(demoidp.Config{BaseURL: strings.TrimSuffix(o.BaseURL, "/") + "/demo-idp", Key: key, Now: now})
		if err != nil {
			return nil, err
		}
	}
	app, err := New(Config{BaseURL: o.BaseURL, Store: store, Demo: demo, Now: now, Logger: logger})
	if err != nil {
		return nil, err
	}
	orgs, err := store.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 && demo != nil {
		acme := &Org{Slug: "acme", Name: "Acme Corp", CreatedAt: now(), PendingVersion: 1, Pending: &IdPSettings{
			SignOnURL: demo.LoginURL(), Certificate: demo.CertificatePEM(), SignedAssertions: true, AllowIdPInitiated: true,
		}}
		if err := store.CreateOrg(ctx, acme); err != nil {
			return nil, err
		}
		orgs = append(orgs, acme)
	}
	for _, org := range orgs {
		app.registerDemoApp(org.Slug)
	}
	if o.EntraLoginURL != "" {
		if err := app.preconfigureEntra(ctx, o); err != nil {
			return nil, err
		}
	}
	return app, nil
}

// preconfigureEntra saves the Entra settings from the flags as the pending configuration
// of an organization (created if needed), ready for Update and Test.
func (a *App) preconfigureEntra(ctx context.Context, o options) error {
	if o.EntraCert == "" {
		return errors.New("-entra-login-url needs -entra-cert, the file with Entra's Certificate (Base64)")
	}
	pem, err := os.ReadFile(o.EntraCert)
	if err != nil {
		return err
	}
	s := IdPSettings{SignOnURL: o.EntraLoginURL, Certificate: string(pem), SignedAssertions: true, AllowIdPInitiated: true}
	if _, errs, _ := a.idpFromSettings(&s, true); len(errs) > 0 {
		return fmt.Errorf("-entra-login-url/-entra-cert: %v", errs)
	}
	org, err := a.store.Org(ctx, o.EntraOrg)
	if errors.Is(err, ErrNoOrg) {
		if !slugRE.MatchString(o.EntraOrg) {
			return fmt.Errorf("-entra-org %q: use 3 to 40 lower-case letters, digits or dashes", o.EntraOrg)
		}
		org = &Org{Slug: o.EntraOrg, Name: o.EntraOrg + " (Entra ID)", CreatedAt: a.now()}
		if err := a.store.CreateOrg(ctx, org); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if org.Pending == nil || *org.Pending != s {
		org.Pending = &s
		org.PendingVersion++
		if err := a.store.SaveOrg(ctx, org); err != nil {
			return err
		}
	}
	fmt.Printf("orgsso: organization %q uses Entra. In the Enterprise application's Basic SAML Configuration set\n"+
		"  Identifier (Entity ID): %s\n  Reply URL:              %s\nthen open %s/organizations/%s/settings/sso and click Update and Test.\n",
		org.Slug, a.spEntityID(org.Slug), a.acsURL(org.Slug), a.base, org.Slug)
	return nil
}

// demoKey loads the demo IdP's signing key from the database, making one on first start.
func demoKey(ctx context.Context, store *Store, now time.Time) (*certs.KeyPair, error) {
	type stored struct{ Cert, Key string }
	v, err := store.SettingOrInit(ctx, "demo_idp_key", func() (string, error) {
		kp, err := certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate (demo)", now.Add(-time.Hour), 3*365*24*time.Hour)
		if err != nil {
			return "", err
		}
		keyPEM, err := kp.KeyPEM()
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(stored{Cert: string(kp.CertificatePEM()), Key: string(keyPEM)})
		return string(b), err
	})
	if err != nil {
		return nil, err
	}
	var s stored
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return nil, err
	}
	return certs.LoadKeyPair([]byte(s.Cert), []byte(s.Key))
}
