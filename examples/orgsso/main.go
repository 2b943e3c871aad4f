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
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/ssokit/saml/sp/orgs"
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
	DemoMetaAddr  string // the demo IdP's https metadata server (loopback); empty: any free port
}

func main() {
	var o options
	flag.StringVar(&o.Addr, "addr", cmp.Or(os.Getenv("ORGSSO_ADDR"), "127.0.0.1:8080"), "listen address (ORGSSO_ADDR)")
	flag.StringVar(&o.BaseURL, "base-url", cmp.Or(os.Getenv("ORGSSO_BASE_URL"), ""), "external base URL, e.g. https://sso.example.com (ORGSSO_BASE_URL); default http://<addr>")
	flag.StringVar(&o.DB, "db", cmp.Or(os.Getenv("ORGSSO_DB"), "orgsso.db"), "SQLite database file (ORGSSO_DB)")
	flag.StringVar(&o.EntraLoginURL, "entra-login-url", cmp.Or(os.Getenv("ORGSSO_ENTRA_LOGIN_URL"), ""), "Entra Login URL to preconfigure an organization with (ORGSSO_ENTRA_LOGIN_URL)")
	flag.StringVar(&o.EntraCert, "entra-cert", cmp.Or(os.Getenv("ORGSSO_ENTRA_CERT"), ""), "file with Entra's Certificate (Base64) for -entra-login-url (ORGSSO_ENTRA_CERT)")
	flag.StringVar(&o.EntraOrg, "entra-org", cmp.Or(os.Getenv("ORGSSO_ENTRA_ORG"), "contoso"), "organization ID for -entra-login-url (ORGSSO_ENTRA_ORG)")
	flag.BoolVar(&o.NoDemo, "no-demo-idp", os.Getenv("ORGSSO_NO_DEMO_IDP") != "", "do not mount the demo IdP at /demo-idp/ (ORGSSO_NO_DEMO_IDP)")
	flag.StringVar(&o.DemoMetaAddr, "demo-metadata-addr", cmp.Or(os.Getenv("ORGSSO_DEMO_METADATA_ADDR"), DefaultDemoMetadataAddr), "loopback address where the demo IdP serves its App Federation Metadata Url over https (ORGSSO_DEMO_METADATA_ADDR)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(o, logger); err != nil {
		logger.Error("orgsso", "err", err)
		os.Exit(1)
	}
}

func run(o options, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	if o.BaseURL == "" {
		o.BaseURL = "http://" + ln.Addr().String()
	}
	db, err := openDB(o.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	app, err := setup(context.Background(), o, db, time.Now, logger)
	if err != nil {
		return err
	}
	fmt.Printf("orgsso: open %s (database %s); admin sign-in %s / %s\n", o.BaseURL, o.DB, demoAdmin, admins[demoAdmin])
	app.printDemo()
	go app.sso.Run(context.Background()) // keeps metadata URLs current
	return (&http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// setup builds the app over db: the demo IdP (its key kept in the database, so the
// certificate pasted into an organization stays valid across restarts), the demo
// organization on first start, and the Entra organization from the flags.
func setup(ctx context.Context, o options, db *sql.DB, now func() time.Time, logger *slog.Logger) (*App, error) {
	demo, fetcher, err := setupDemo(ctx, o, db, now)
	if err != nil {
		return nil, err
	}
	app, err := New(o.BaseURL, db, demo, fetcher, now, logger)
	if err == nil {
		err = app.startDemo(ctx)
	}
	if err != nil {
		return nil, err
	}
	if o.EntraLoginURL != "" {
		if o.EntraCert == "" {
			return nil, errors.New("-entra-login-url needs -entra-cert, the file with Entra's Certificate (Base64)")
		}
		pem, err := os.ReadFile(o.EntraCert)
		if err != nil {
			return nil, err
		}
		if !slugRE.MatchString(o.EntraOrg) {
			return nil, fmt.Errorf("-entra-org %q: use 3 to 40 lower-case letters, digits or dashes", o.EntraOrg)
		}
		s := orgs.Settings{LoginURL: o.EntraLoginURL, Certificate: string(pem), SignedAssertions: true, AllowIdPInitiated: true}
		if err := app.preconfigure(ctx, Org{Slug: o.EntraOrg, Name: o.EntraOrg + " (Entra ID)", Admin: demoAdmin}, s); err != nil {
			return nil, fmt.Errorf("-entra-login-url/-entra-cert: %w", err)
		}
		e := app.sso.Endpoints(o.EntraOrg)
		fmt.Printf("orgsso: organization %q uses Entra. In the Enterprise application's Basic SAML Configuration set\n"+
			"  Identifier (Entity ID): %s\n  Reply URL:              %s\nthen open %s/organizations/%s/settings/sso and click Update and Test.\n",
			o.EntraOrg, e.EntityID, e.ACSURL, app.base, o.EntraOrg)
	}
	return app, nil
}

// preconfigure is the operator's organization: created if needed, s saved as its
// pending configuration unless it is that already (sp/orgs's Preconfigure).
func (a *App) preconfigure(ctx context.Context, org Org, s orgs.Settings) error {
	if err := orgs.Preconfigure(ctx, a.store, org.Slug, s, "command line", a.now()); err != nil {
		return err
	}
	if cur, err := getOrg(ctx, a.db, org.Slug); err != nil || cur != nil {
		return err
	}
	return a.addOrg(ctx, org)
}
