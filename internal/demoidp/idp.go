package demoidp

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crewjam/saml"
	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/certs"
)

// DefaultTenantID is the demo directory's tenant ID when Config.TenantID is empty.
const DefaultTenantID = "6f1c2a9e-3b7d-4e58-9a41-d2c0e8b5f713"

// Signing is Entra's "Signing Option": which elements carry a signature.
type Signing int

const (
	// SignAssertion signs the Assertion only; the Response is unsigned. Entra's default.
	SignAssertion Signing = iota
	// SignResponse signs the Response only; the Assertion has no signature of its own.
	SignResponse
	// SignResponseAndAssertion signs both, the Assertion first.
	SignResponseAndAssertion
)

func (s Signing) String() string {
	switch s {
	case SignAssertion:
		return "Sign SAML assertion"
	case SignResponse:
		return "Sign SAML response"
	case SignResponseAndAssertion:
		return "Sign SAML response and assertion"
	}
	return fmt.Sprintf("Signing(%d)", int(s))
}

// NameID formats the demo IdP can issue.
const (
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	NameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

// Config configures a demo IdP. The zero value with a BaseURL works.
type Config struct {
	// BaseURL is the absolute URL the IdP is mounted at, without a trailing slash,
	// e.g. http://127.0.0.1:8080/demo-idp. Required.
	BaseURL string

	// TenantID is the directory's GUID; it appears in the issuer, the Login URL and the
	// tenantid claim. Empty means DefaultTenantID.
	TenantID string

	// Key signs assertions and responses. Nil means a fresh self-signed RSA-2048 key pair,
	// like the certificate Entra generates for a new application.
	Key *certs.KeyPair

	// Users can sign in. Nil means DemoUsers().
	Users []User

	// Signing is the Signing Option. The zero value is Entra's default, SignAssertion.
	Signing Signing

	// NameIDFormat is the "Name identifier format" used when the AuthnRequest asks for
	// none: NameIDEmail (the default when empty; the value is the user's UPN) or
	// NameIDPersistent (an opaque value per user and application).
	NameIDFormat string

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// IdP is a running demo identity provider. Use it as an http.Handler mounted at the path
// of Config.BaseURL.
type IdP struct {
	cfg    Config
	base   *url.URL
	tenant string
	// idp is crewjam's IdentityProvider, replaced by a copy holding the new key when a
	// certificate is made active (certificates.go).
	idp      atomic.Pointer[saml.IdentityProvider]
	users    map[string]User // by lower-case username
	order    []string        // usernames in configuration order, for the login page
	sessions *sessionStore

	mu      sync.RWMutex
	apps    map[string]*saml.EntityDescriptor // by SP entity ID
	signing Signing                           // starts as cfg.Signing; see SetSigning
	// logoutURLs are the applications' Logout URLs, by entity ID (slo.go).
	logoutURLs map[string]string
	// keys are the SAML signing certificates, as Entra lists them; active signs.
	keys   []*certs.KeyPair
	active *certs.KeyPair

	metaTLS atomic.Pointer[MetadataServer] // StartMetadataTLS's server, if running
}

// New returns a demo IdP.
func New(cfg Config) (*IdP, error) {
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("demoidp: BaseURL %q must be an absolute URL such as http://127.0.0.1:8080/demo-idp", cfg.BaseURL)
	}
	tenant := cfg.TenantID
	if tenant == "" {
		tenant = DefaultTenantID
	}
	key := cfg.Key
	if key == nil {
		if key, err = newKeyPair(nowFunc(cfg.Now)()); err != nil {
			return nil, fmt.Errorf("demoidp: generating a signing key: %w", err)
		}
	}
	if key.Key == nil || key.Certificate == nil {
		return nil, errors.New("demoidp: Key needs both a private key and a certificate")
	}
	users := cfg.Users
	if users == nil {
		users = DemoUsers()
	}
	d := &IdP{
		cfg:        cfg,
		base:       base,
		tenant:     tenant,
		keys:       []*certs.KeyPair{key},
		active:     key,
		users:      make(map[string]User, len(users)),
		sessions:   newSessionStore(),
		apps:       make(map[string]*saml.EntityDescriptor),
		logoutURLs: make(map[string]string),
		signing:    cfg.Signing,
	}
	for _, u := range users {
		if u.Username == "" {
			return nil, errors.New("demoidp: a user has no Username")
		}
		d.users[strings.ToLower(u.Username)] = u
		d.order = append(d.order, u.Username)
	}

	ssoURL, _ := url.Parse(d.LoginURL())
	issuer, _ := url.Parse(d.EntityID())
	d.idp.Store(&saml.IdentityProvider{
		Signer:      key.Key,
		Certificate: key.Certificate,
		// crewjam names the issuer after the metadata URL; Entra's issuer is the
		// sts.windows.net URL, which is not where its metadata lives. The metadata
		// handler is mounted separately (see ServeHTTP), so this only sets the issuer.
		MetadataURL:             *issuer,
		SSOURL:                  *ssoURL,
		LogoutURL:               *ssoURL, // metadata lists it as SingleLogoutService (slo.go serves it)
		ServiceProviderProvider: d,
		SessionProvider:         d,
		AssertionMaker:          assertionMaker{d},
		ResponseWriter:          responseWriter{d},
		NameIDFormats:           []saml.NameIDFormat{NameIDEmail, NameIDPersistent},
		Clock:                   dsig.NewFakeClock(funcClock{clockwork.NewRealClock(), nowFunc(cfg.Now)}),
		Logger:                  discardLogger{},
		OnError:                 d.onError,
	})
	return d, nil
}

// EntityID is the issuer of every response: https://sts.windows.net/<tenant-id>/, which
// Entra shows as "Microsoft Entra Identifier".
func (d *IdP) EntityID() string { return "https://sts.windows.net/" + d.tenant + "/" }

// TenantID is the directory's GUID.
func (d *IdP) TenantID() string { return d.tenant }

// LoginURL is the SingleSignOnService URL, shown as "Login URL" the way Entra shows
// https://login.microsoftonline.com/<tenant-id>/saml2.
func (d *IdP) LoginURL() string { return d.url("/" + d.tenant + "/saml2") }

// MetadataURL is where the federation metadata XML is served.
func (d *IdP) MetadataURL() string {
	return d.url("/" + d.tenant + "/federationmetadata/2007-06/federationmetadata.xml")
}

// MyAppsURL is the portal that lists the registered applications for IdP-initiated sign-in.
func (d *IdP) MyAppsURL() string { return d.url("/myapps") }

// Certificate is the active signing certificate: the one that signs.
func (d *IdP) Certificate() *x509.Certificate { return d.signingKey().Certificate }

// CertificatePEM is the active signing certificate as Entra's "Certificate (Base64)"
// download.
func (d *IdP) CertificatePEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.Certificate().Raw}))
}

// RegisterSP adds or replaces an application, as an Entra admin does when they create an
// Enterprise application with this Identifier (Entity ID) and Reply URL (ACS URL).
func (d *IdP) RegisterSP(entityID, acsURL string) {
	isDefault := true
	ed := &saml.EntityDescriptor{
		EntityID: entityID,
		SPSSODescriptors: []saml.SPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
			}},
			AssertionConsumerServices: []saml.IndexedEndpoint{{
				Binding: saml.HTTPPostBinding, Location: acsURL, Index: 0, IsDefault: &isDefault,
			}},
		}},
	}
	d.mu.Lock()
	d.apps[entityID] = ed
	d.mu.Unlock()
}

// Signing returns the current Signing Option.
func (d *IdP) Signing() Signing {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.signing
}

// SetSigning changes the Signing Option, as an Entra admin does in the application's
// "SAML Signing Certificate" section; the next response uses it.
func (d *IdP) SetSigning(s Signing) {
	d.mu.Lock()
	d.signing = s
	d.mu.Unlock()
}

// App is a registered application.
type App struct {
	EntityID string // Identifier (Entity ID)
	ACSURL   string // Reply URL
	// LogoutURL is the Logout Url (Single Logout; SetLogoutURL), empty when none.
	LogoutURL string
}

// Apps lists the registered applications by entity ID.
func (d *IdP) Apps() []App {
	d.mu.RLock()
	defer d.mu.RUnlock()
	apps := make([]App, 0, len(d.apps))
	for id, ed := range d.apps {
		apps = append(apps, App{EntityID: id, ACSURL: ed.SPSSODescriptors[0].AssertionConsumerServices[0].Location, LogoutURL: d.logoutURLs[id]})
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].EntityID < apps[j].EntityID })
	return apps
}

// IdPInitiatedURL starts an IdP-initiated sign-in to the application spEntityID, like
// Entra's "User access URL": the user signs in if needed and the browser posts an
// unsolicited response to the application's Reply URL. relayState may be empty.
func (d *IdP) IdPInitiatedURL(spEntityID, relayState string) string {
	q := url.Values{"app": {spEntityID}}
	if relayState != "" {
		q.Set("RelayState", relayState)
	}
	return d.url("/myapps/signin?" + q.Encode())
}

// GetServiceProvider implements saml.ServiceProviderProvider.
func (d *IdP) GetServiceProvider(_ *http.Request, entityID string) (*saml.EntityDescriptor, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if ed, ok := d.apps[entityID]; ok {
		return ed, nil
	}
	return nil, errNotExist(entityID)
}

func (d *IdP) now() time.Time { return nowFunc(d.cfg.Now)() }

func (d *IdP) url(path string) string { return d.base.String() + path }

// path is the absolute request path of a route below BaseURL.
func (d *IdP) path(route string) string { return d.base.Path + route }

func nowFunc(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// funcClock lets an injected Now drive crewjam's clock, which goxmldsig wraps.
type funcClock struct {
	clockwork.Clock
	now func() time.Time
}

func (c funcClock) Now() time.Time { return c.now() }

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Print(...interface{})          {}
func (discardLogger) Println(...interface{})        {}
func (discardLogger) Fatal(...interface{})          {}
func (discardLogger) Fatalf(string, ...interface{}) {}
func (discardLogger) Fatalln(...interface{})        {}
func (discardLogger) Panic(...interface{})          {}
func (discardLogger) Panicf(string, ...interface{}) {}
func (discardLogger) Panicln(...interface{})        {}

// newKeyPair makes a self-signed signing certificate valid for three years, as Entra does
// for a new application.
func newKeyPair(now time.Time) (*certs.KeyPair, error) {
	return certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate (demo)", now.Add(-time.Hour), 3*365*24*time.Hour)
}
