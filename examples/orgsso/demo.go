package main

// The demo IdP's part of the app: everything here exists only because the example
// embeds internal/demoidp instead of talking to a real Entra tenant.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/demoidp"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp/orgs"
)

// newDemo is the demo IdP at baseURL/demo-idp, its key kept in the database so the
// certificate pasted into an organization stays valid across restarts.
func newDemo(ctx context.Context, db *sql.DB, baseURL string, now func() time.Time) (*demoidp.IdP, error) {
	key, err := demoKey(ctx, db, now())
	if err != nil {
		return nil, fmt.Errorf("demo IdP key: %w", err)
	}
	return demoidp.New(demoidp.Config{BaseURL: strings.TrimSuffix(baseURL, "/") + "/demo-idp", Key: key, Now: now})
}

// setupDemo is the demo IdP with its https metadata server and the app's metadata
// fetcher that trusts that server alone; nils with -no-demo-idp.
func setupDemo(ctx context.Context, o options, db *sql.DB, now func() time.Time) (*demoidp.IdP, metadata.Getter, error) {
	if o.NoDemo {
		return nil, nil, nil
	}
	demo, err := newDemo(ctx, db, o.BaseURL, now)
	if err == nil {
		err = startDemoMetadata(demo, o.DemoMetaAddr)
	}
	if err != nil {
		return nil, nil, err
	}
	fetcher, err := metadataFetcher(demo)
	return demo, fetcher, err
}

// startDemo registers every organization with the demo IdP (as an Entra admin creates
// an Enterprise application) and, on the first start, creates the demo organization.
func (a *App) startDemo(ctx context.Context) error {
	if a.demo == nil {
		return nil
	}
	a.mux.Handle("/demo-idp/", a.demo)
	list, err := a.store.List(ctx)
	if err != nil || len(list) > 0 {
		for _, org := range list {
			a.registerDemoApp(org.ID)
		}
		return err
	}
	s := orgs.Settings{LoginURL: a.demo.LoginURL(), IdPEntityID: a.demo.EntityID(), Certificate: a.demo.CertificatePEM(), SignedAssertions: true, AllowIdPInitiated: true}
	return a.preconfigure(ctx, Org{Slug: "acme", Name: "Acme Corp", Admin: demoAdmin}, s)
}

// printDemo tells the operator where the demo IdP is.
func (a *App) printDemo() {
	if a.demo == nil {
		return
	}
	fmt.Printf("orgsso: demo IdP at %s/demo-idp/ (Login URL %s)\n", a.base, a.demo.LoginURL())
	if ms := a.demo.MetadataServer(); ms != nil {
		fmt.Printf("orgsso: demo IdP metadata over https at %s (its own CA; only this app's demo fetcher trusts it)\n", ms.URL())
	}
}

type demoValues struct{ LoginURL, Certificate, MyAppsURL, AppsURL string }

func (a *App) demoValues() *demoValues {
	if a.demo == nil {
		return nil
	}
	return &demoValues{a.demo.LoginURL(), a.demo.CertificatePEM(), a.demo.MyAppsURL(), "/demo-idp/apps"}
}

func (a *App) registerDemoApp(slug string) {
	if a.demo != nil {
		e := a.sso.Endpoints(slug)
		a.demo.RegisterSP(e.EntityID, e.ACSURL)
		a.demo.SetLogoutURL(e.EntityID, e.LogoutURL) // Sign out ends the demo IdP session too
	}
}

// demoKey loads the demo IdP's signing key from the database, making one on first start.
func demoKey(ctx context.Context, db *sql.DB, now time.Time) (*certs.KeyPair, error) {
	type stored struct{ Cert, Key string }
	v, err := keyOnce(ctx, db, "demo_idp_key", func() (string, error) {
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

// demoDefaults fills in what the demo IdP's Login URL implies, as an Entra Login URL
// names its tenant: the IdP Entity ID and, as FromAzure derives Entra's, the Logout URL.
func (a *App) demoDefaults(s orgs.Settings) orgs.Settings {
	if a.demo != nil && strings.TrimSpace(s.LoginURL) == a.demo.LoginURL() && s.IdPEntityID == "" {
		s.IdPEntityID = a.demo.EntityID()
		if s.LogoutURL == "" {
			s.LogoutURL = a.demo.LogoutURL()
		}
	}
	return s
}

// keyOnce returns the random key stored under name, making it on first start (whichever
// process wins a race, every one uses the stored key).
func keyOnce(ctx context.Context, db *sql.DB, name string, make func() (string, error)) (string, error) {
	var v string
	if ok, err := load(ctx, db, name, &v); ok || err != nil {
		return v, err
	}
	v, err := make()
	var b []byte
	if err == nil {
		b, err = json.Marshal(v)
	}
	if err == nil { // only if there is nothing there yet
		_, err = db.ExecContext(ctx, `INSERT INTO app_data (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, name, string(b))
	}
	if err == nil {
		_, err = load(ctx, db, name, &v)
	}
	return v, err
}
