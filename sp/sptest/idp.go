package sptest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
)

// DefaultTenantID is the directory's GUID when Config.TenantID is empty.
const DefaultTenantID = "3d8b4c2a-6f1e-4a97-b5c0-8e2d9f7a1c64"

// Signing is Entra's "Signing Option" (Enterprise application → Single sign-on → SAML
// Certificates → Signing Option): which elements carry a signature.
type Signing int

const (
	// SignAssertion signs the Assertion only: "Sign SAML assertion", Entra's default.
	SignAssertion Signing = iota
	// SignResponse signs the Response only: "Sign SAML response".
	SignResponse
	// SignBoth signs the Assertion, then the Response: "Sign SAML response and assertion".
	SignBoth
)

func (s Signing) String() string {
	switch s {
	case SignAssertion:
		return "Sign SAML assertion"
	case SignResponse:
		return "Sign SAML response"
	case SignBoth:
		return "Sign SAML response and assertion"
	}
	return fmt.Sprintf("Signing(%d)", int(s))
}

func (s Signing) placement() samltest.Placement {
	switch s {
	case SignResponse:
		return samltest.SignResponse
	case SignBoth:
		return samltest.SignBoth
	}
	return samltest.SignAssertion
}

// Config configures an IdP. The zero value is a working Entra tenant.
type Config struct {
	// TenantID is the directory's GUID, in the issuer, the Login URL and the tenantid
	// claim. Empty means DefaultTenantID.
	TenantID string

	// Key signs responses and metadata; it must hold an RSA key. Nil means a fresh
	// self-signed RSA-2048 pair per IdP, like the certificate Entra makes for a new
	// application (share one pair across tests to save the key generation).
	Key *certs.KeyPair

	// Signing is the Signing Option; the zero value is Entra's default, SignAssertion.
	Signing Signing

	// EncryptionCertificate, when set, turns on Token encryption: every assertion is
	// encrypted to it (RSA-OAEP, AES-256-CBC) after it is signed. It is the certificate
	// the application gives Entra, i.e. the public half of the SP's key.
	EncryptionCertificate *x509.Certificate

	// User signs in. The zero value means DefaultUser(). SetUser changes it.
	User User

	// Now is the clock: IssueInstant and every validity window derive from it. Nil means
	// time.Now. Give the SP the same clock.
	Now func() time.Time
}

// IdP is an Entra-like identity provider serving on a loopback HTTP server. Its methods
// are safe for concurrent use.
type IdP struct {
	// URL is the server's base URL, http://127.0.0.1:<port>, without a trailing slash.
	URL string

	srv    *httptest.Server
	tenant string
	key    *certs.KeyPair
	signer *samltest.IdP
	now    func() time.Time

	mu      sync.Mutex
	apps    map[string][]string // Identifier (Entity ID) → Reply URLs, the first the default
	user    User
	signing Signing
	encrypt *x509.Certificate

	// Single Logout (slo.go).
	logoutURLs map[string]string      // Identifier → Logout Url
	sessions   map[string]*idpSession // by the session cookie's value
	authns     int                    // sign-ins that asked for credentials
	broadcast  map[string]string      // LogoutRequest ID → the application it went to
	answered   []string               // applications that answered a broadcast
}

// NewIdP starts an IdP on 127.0.0.1. Call Close when done. Like httptest.NewServer it
// panics when it cannot start (here also when cfg.Key holds no RSA key), since a test
// cannot go on without it.
func NewIdP(cfg Config) *IdP {
	idp, err := newIdP(cfg)
	if err != nil {
		panic("sptest: " + err.Error())
	}
	idp.srv = httptest.NewServer(idp)
	idp.URL = idp.srv.URL
	return idp
}

func newIdP(cfg Config) (*IdP, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	tenant := cfg.TenantID
	if tenant == "" {
		tenant = DefaultTenantID
	}
	key := cfg.Key
	if key == nil {
		var err error
		// Backdated a day so that a test clock a little behind the real one still finds
		// the certificate valid.
		key, err = certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate", now().Add(-24*time.Hour), 3*365*24*time.Hour)
		if err != nil {
			return nil, err
		}
	}
	rsaKey, ok := key.Key.(*rsa.PrivateKey)
	if !ok || key.Certificate == nil {
		return nil, fmt.Errorf("Config.Key must hold an RSA private key and its certificate (Entra signs with RSA), got %T", key.Key)
	}
	user := cfg.User
	if user.UPN == "" {
		user = DefaultUser()
	}
	return &IdP{
		tenant: tenant,
		key:    key,
		signer: samltest.NewIdP(tenant, samltest.Pair{Key: rsaKey, Cert: key.Certificate}),
		now:    now,
		apps:   map[string][]string{},

		logoutURLs: map[string]string{},
		sessions:   map[string]*idpSession{},
		broadcast:  map[string]string{},
		user:       user,
		signing:    cfg.Signing,
		encrypt:    cfg.EncryptionCertificate,
	}, nil
}

// Close shuts the server down, as httptest.Server.Close does.
func (idp *IdP) Close() { idp.srv.Close() }

// TenantID is the directory's GUID.
func (idp *IdP) TenantID() string { return idp.tenant }

// EntityID is the issuer of every response, https://sts.windows.net/<tenant-id>/, which
// Entra shows as "Microsoft Entra Identifier".
func (idp *IdP) EntityID() string { return samltest.IssuerFor(idp.tenant) }

// LoginURL is the SingleSignOnService URL (HTTP-Redirect and HTTP-POST), Entra's "Login
// URL", here <URL>/<tenant-id>/saml2.
func (idp *IdP) LoginURL() string { return idp.URL + "/" + idp.tenant + "/saml2" }

// MetadataURL serves Metadata, as Entra's "App Federation Metadata URL" does.
func (idp *IdP) MetadataURL() string {
	return idp.URL + "/" + idp.tenant + "/federationmetadata/2007-06/federationmetadata.xml"
}

// IdPInitiatedURL starts an IdP-initiated sign-in to the application spEntityID, like
// Entra's "User access URL" in My Apps: the browser gets a form that posts an unsolicited
// response to the application's Reply URL. relayState may be empty.
func (idp *IdP) IdPInitiatedURL(spEntityID, relayState string) string {
	return idp.URL + myAppsPath + "?" + idpInitiatedQuery(spEntityID, relayState)
}

// Certificate is the signing certificate.
func (idp *IdP) Certificate() *x509.Certificate { return idp.key.Certificate }

// CertificatePEM is the signing certificate as Entra's "Certificate (Base64)" download.
func (idp *IdP) CertificatePEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.key.Certificate.Raw}))
}

// RegisterSP adds or replaces an application, as an Entra admin creates an Enterprise
// application with this Identifier (Entity ID) and these Reply URLs (the first is the
// default, used when the AuthnRequest names none and for IdP-initiated sign-in).
func (idp *IdP) RegisterSP(entityID string, replyURLs ...string) {
	if len(replyURLs) == 0 {
		panic("sptest: RegisterSP needs at least one Reply URL")
	}
	idp.mu.Lock()
	idp.apps[entityID] = append([]string(nil), replyURLs...)
	idp.mu.Unlock()
}

// SetUser makes u the user who signs in from now on.
func (idp *IdP) SetUser(u User) {
	idp.mu.Lock()
	idp.user = u
	idp.mu.Unlock()
}

// SetSigning changes the Signing Option, as an admin does in the portal; the next response
// uses it.
func (idp *IdP) SetSigning(s Signing) {
	idp.mu.Lock()
	idp.signing = s
	idp.mu.Unlock()
}

// SetEncryptionCertificate turns Token encryption on for the next responses (nil turns it
// off); see Config.EncryptionCertificate.
func (idp *IdP) SetEncryptionCertificate(c *x509.Certificate) {
	idp.mu.Lock()
	idp.encrypt = c
	idp.mu.Unlock()
}
