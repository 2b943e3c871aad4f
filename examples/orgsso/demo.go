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

// seedDemo creates the first start's demo organization, configured for the demo IdP.
func (a *App) seedDemo(ctx context.Context) error {
	s := orgs.Settings{LoginURL: a.demo.LoginURL(), IdPEntityID: a.demo.EntityID(), Certificate: a.demo.CertificatePEM(), SignedAssertions: true, AllowIdPInitiated: true}
	return a.preconfigure(ctx, Org{Slug: "acme", Name: "Acme Corp", Admin: demoAdmin}, s)
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
