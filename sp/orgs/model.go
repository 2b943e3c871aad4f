package orgs

import (
	"slices"
	"time"

	"github.com/ssokit/saml/sp"
)

// Settings is what an organization's admin gave for its IdP: one SAML configuration as
// typed and pasted, before anything is derived from it.
type Settings struct {
	// LoginURL is the IdP's sign-on URL (HTTP-Redirect binding): Entra's "Login URL",
	// https://login.microsoftonline.com/<tenant-id>/saml2. Empty when MetadataXML is given.
	LoginURL string `json:"login_url,omitempty"`
	// MetadataXML is the IdP's federation metadata document (Entra's "Federation Metadata
	// XML"), instead of LoginURL and Certificate.
	MetadataXML string `json:"metadata_xml,omitempty"`
	// MetadataURL is the IdP's metadata URL (Entra's "App Federation Metadata Url"),
	// instead of LoginURL and Certificate: fetched when saved and whenever the IdP is
	// needed, and kept current by Manager.Run, so a certificate rollover at the IdP
	// needs no new configuration.
	MetadataURL string `json:"metadata_url,omitempty"`
	// Certificate is the IdP's signing certificate(s) as pasted (PEM, bare base64 or
	// several during a rollover): Entra's "Certificate (Base64)".
	Certificate string `json:"certificate,omitempty"`
	// IdPEntityID overrides the IdP's Entity ID (the Issuer of its responses) derived
	// from LoginURL or the metadata. Empty means derived.
	IdPEntityID string `json:"idp_entity_id,omitempty"`
	// LogoutURL is the IdP's Single Logout URL (HTTP-Redirect) for a pasted Login URL:
	// Entra's "Logout URL", https://login.microsoftonline.com/<tenant-id>/saml2 (for an
	// Entra Login URL it is derived when empty). With metadata it is read from there.
	// Members' Sign out (Handler's {org}/saml/signout) then ends the IdP session too.
	LogoutURL string `json:"logout_url,omitempty"`
	// SignedAssertions demands a signature on the Assertion itself ("Signed Assertions").
	SignedAssertions bool `json:"signed_assertions"`
	// AllowIdPInitiated accepts sign-ins started at the IdP (Entra's My Apps).
	AllowIdPInitiated bool `json:"allow_idp_initiated"`
	// AllowedEmailDomains limits members to e-mail addresses (or UPNs) under these
	// domains, e.g. "example.com". Empty means no limit.
	AllowedEmailDomains []string `json:"allowed_email_domains,omitempty"`
}

func (s Settings) clone() Settings {
	s.AllowedEmailDomains = slices.Clone(s.AllowedEmailDomains)
	return s
}

// Version is one saved configuration of an organization's SAML connection.
type Version struct {
	// Number counts the organization's saves from 1; it never repeats, so a test of
	// version 3 can never be taken for a test of version 4.
	Number    int       `json:"number"`
	Settings  Settings  `json:"settings"`
	ChangedAt time.Time `json:"changed_at"`
	ChangedBy string    `json:"changed_by,omitempty"` // the admin, as Authorize named them
	// LastTest is the latest finished test of this version; nil when none finished.
	LastTest *Test `json:"last_test,omitempty"`
}

// Clone returns a copy of v that shares nothing mutable with it but its Diagnosis.
func (v *Version) Clone() *Version {
	if v == nil {
		return nil
	}
	c := *v
	c.Settings = v.Settings.clone()
	if v.LastTest != nil {
		t := *v.LastTest
		c.LastTest = &t
	}
	return &c
}

// Test is one finished "Update and Test SAML configuration" of a version.
type Test struct {
	At time.Time
	By string // the admin who started it
	// Diagnosis is the full report of the IdP's response. Treat it as read-only: stores
	// share it between copies of an Org.
	Diagnosis *sp.Diagnosis
}

// Passed reports whether the tested response passed every check.
func (t *Test) Passed() bool { return t != nil && t.Diagnosis != nil && t.Diagnosis.OK }

// Org is one organization's SAML connection: what members sign in with (Active, while
// Enabled) and what an admin saved last (Pending). They differ while a new configuration
// waits for a passing test and an Enable, so a typo never locks members out.
type Org struct {
	// ID is the app's own identifier of the organization, e.g. its slug. It appears in
	// URLs (ACS URL, Entity ID), so it is limited to [a-z0-9-] (see ValidID).
	ID string
	// Revision is the store's row version: Update succeeds only when it still equals
	// the stored one, then increments it. Zero for an Org not yet created.
	Revision int64
	// Enabled means members sign in with Active.
	Enabled bool
	// Pending is the latest saved configuration; nil before the first save.
	Pending *Version
	// Active is the configuration members sign in with while Enabled: the last pending
	// version that passed its test and was enabled. Nil before the first Enable.
	Active *Version
	// ChangedAt and ChangedBy record the last Enable or Disable.
	ChangedAt time.Time
	ChangedBy string
}

// Clone returns a copy of o that shares nothing mutable with it but Diagnosis values.
func (o *Org) Clone() *Org {
	c := *o
	c.Pending = o.Pending.Clone()
	c.Active = o.Active.Clone()
	return &c
}

// CanEnable reports whether Enable of the pending version would succeed: its last test
// passed and it is not what members use already.
func (o *Org) CanEnable() bool {
	return o.Pending != nil && o.Pending.LastTest.Passed() && !o.Serving(o.Pending.Number)
}

// Serving reports whether members sign in with version n.
func (o *Org) Serving(n int) bool { return o.Enabled && o.Active != nil && o.Active.Number == n }

// ValidID reports whether id can name an organization: 1 to 63 characters of a-z, 0-9
// and '-', starting and ending with a letter or digit. These characters are safe in a
// URL path, a cookie name and a Redis key, and the package's derived names rely on it.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 63 || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Result is how one sign-in attempt ended, as the sign-in log keeps it.
type Result string

const (
	Succeeded Result = "succeeded"
	Refused   Result = "refused"
)

// SignIn is one entry of an organization's sign-in log: a member's sign-in or an
// admin's test, with the detail an admin needs to fix a failure.
type SignIn struct {
	At      time.Time `json:"at"`
	Test    bool      `json:"test"`    // an admin's test of a pending version, not a member
	Version int       `json:"version"` // the configuration version that judged it
	Result  Result    `json:"result"`
	// Check is the first failed check (e.g. "audience", "email domain"); Reason is its
	// admin-facing text (expected, received, what to change).
	Check  string `json:"check,omitempty"`
	Reason string `json:"reason,omitempty"`
	AADSTS string `json:"aadsts,omitempty"` // Entra's error code when the IdP said no
	Signer string `json:"signer,omitempty"` // thumbprint of the certificate that signed
	NameID string `json:"name_id,omitempty"`
	// Ref is the correlation reference shown to the user, so a support request can be
	// matched with this entry.
	Ref string `json:"ref,omitempty"`
}
