package orgs

// What every app's pages around the Manager need: reading the settings form, seeding an
// organization from the operator's configuration, and showing what an IdP asserted.

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ssokit/saml/assertion"
)

// SettingsFromForm reads a settings form posted with the Field* input names (the check
// boxes true when present) and the FieldVersion it showed, for Save's basedOn and Enable.
// It reads; Save checks.
func SettingsFromForm(r *http.Request) (s Settings, version int) {
	f := r.PostFormValue
	s = Settings{LoginURL: f(FieldLoginURL), MetadataXML: f(FieldMetadataXML), MetadataURL: f(FieldMetadataURL),
		Certificate: f(FieldCertificate), IdPEntityID: f(FieldIdPEntityID), LogoutURL: f(FieldLogoutURL),
		SignedAssertions: f(FieldSignedAssertions) != "", AllowIdPInitiated: f(FieldAllowIdPInitiated) != ""}
	if d := f(FieldAllowedEmailDomains); d != "" {
		s.AllowedEmailDomains = []string{d} // Save splits it at commas and spaces
	}
	version, _ = strconv.Atoi(f(FieldVersion))
	return s, version
}

// Preconfigure saves s as orgID's pending configuration, creating the organization if
// it does not exist, unless the pending configuration is s already (so running it at
// every start is a no-op). It checks s as Save does and records by as ChangedBy, but
// writes st directly, without Authorize or a test: it is for the operator (a command
// line flag, a first start's seed), never for a request. Members are unaffected until
// an admin tests and enables the version.
func Preconfigure(ctx context.Context, st Store, orgID string, s Settings, by string, now time.Time) error {
	s, err := Validate(s, now)
	if err != nil {
		return err
	}
	if err := st.Create(ctx, &Org{ID: orgID}); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	o, err := st.Get(ctx, orgID)
	if err != nil || (o.Pending != nil && reflect.DeepEqual(o.Pending.Settings, s)) {
		return err
	}
	next := pendingNumber(o)
	if o.Active != nil && o.Active.Number > next {
		next = o.Active.Number
	}
	o.Pending = &Version{Number: next + 1, Settings: s, ChangedAt: now.UTC(), ChangedBy: by}
	return st.Update(ctx, o)
}

// Claim is one attribute an IdP asserted, for display.
type Claim struct {
	Name   string
	Values []string
}

// ShortName is Name without the namespace of a claim URI, for display:
// "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups" is "groups".
func (c Claim) ShortName() string {
	if i := strings.LastIndexByte(c.Name, '/'); i >= 0 && i < len(c.Name)-1 {
		return c.Name[i+1:]
	}
	return c.Name
}

// Claims lists a's attributes in the order the IdP sent them: what a member page or a
// passed test shows ("Claims received"). Nil for a nil assertion.
func Claims(a *assertion.Assertion) []Claim {
	if a == nil {
		return nil
	}
	out := make([]Claim, 0, len(a.AttributeNames))
	for _, name := range a.AttributeNames {
		out = append(out, Claim{name, a.Attributes[name].Values})
	}
	return out
}

// Member is what a member page shows of a sign-in, read with package assertion's Entra
// accessors: the object ID, e-mail and groups (or, when the user is in more groups than
// Entra puts in a token, the Microsoft Graph link to them), and every attribute. It
// marshals to JSON, for an app to keep the last sign-in.
type Member struct {
	ObjectID, Email string
	Groups          []string
	GroupsLink      string `json:",omitempty"` // set on a groups overage instead of Groups
	Claims          []Claim
	LastLogin       time.Time
}

// MemberOf is the Member view of a, signed in at.
func MemberOf(a *assertion.Assertion, at time.Time) *Member {
	groups, _ := a.Groups() // nil on overage
	link, _ := a.GroupsOverage()
	return &Member{ObjectID: a.ObjectID(), Email: a.Email(), Groups: groups, GroupsLink: link, Claims: Claims(a), LastLogin: at}
}
