package orgs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// The admin actions. Each takes the admin's request and runs Config.Authorize on it
// first; the state-changing ones also demand a same-origin POST, so another site cannot
// make an admin's browser change the configuration (and a request that carries neither
// Origin nor Sec-Fetch-Site is refused rather than guessed at).

// authorize runs the checks of one admin action and returns the admin's name.
func (m *Manager) authorize(r *http.Request, orgID string, action Action) (string, error) {
	if action != ActionView {
		if err := m.sameOrigin(r); err != nil {
			return "", err
		}
	}
	if !ValidID(orgID) {
		return "", &InvalidIDError{ID: orgID}
	}
	admin, err := m.cfg.Authorize(r, orgID, action)
	if err != nil {
		return "", fmt.Errorf("%w to %s the SSO settings of %s: %w", ErrUnauthorized, action, orgID, err)
	}
	return admin, nil
}

// CheckSameOrigin is the proof every state-changing admin action needs, for the app's
// own forms: nil for a POST whose Origin header is BaseURL's origin or, without an
// Origin, whose Sec-Fetch-Site is same-origin; otherwise an error wrapping
// ErrCrossOrigin that says what arrived.
func (m *Manager) CheckSameOrigin(r *http.Request) error { return m.sameOrigin(r) }

func (m *Manager) sameOrigin(r *http.Request) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("%w: method %s, want POST", ErrCrossOrigin, r.Method)
	}
	if o := r.Header.Get("Origin"); o != "" {
		if o != m.origin {
			return fmt.Errorf("%w: Origin %q, this app is at %s", ErrCrossOrigin, o, m.origin)
		}
		return nil
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin":
		return nil
	case "":
		return fmt.Errorf("%w: the request has neither an Origin nor a Sec-Fetch-Site header", ErrCrossOrigin)
	default:
		return fmt.Errorf("%w: Sec-Fetch-Site %q", ErrCrossOrigin, site)
	}
}

// Get returns orgID's configuration (ErrNotFound before its first Save).
func (m *Manager) Get(r *http.Request, orgID string) (*Org, error) {
	if _, err := m.authorize(r, orgID, ActionView); err != nil {
		return nil, err
	}
	return m.cfg.Store.Get(r.Context(), orgID)
}

// SignIns returns up to limit of orgID's newest sign-in log entries (tests and member
// sign-ins), newest first.
func (m *Manager) SignIns(r *http.Request, orgID string, limit int) ([]SignIn, error) {
	if _, err := m.authorize(r, orgID, ActionView); err != nil {
		return nil, err
	}
	return m.cfg.Store.SignIns(r.Context(), orgID, limit)
}

// Save checks s and stores it as orgID's new pending configuration (creating the
// organization on its first save). basedOn is the pending version number the admin's
// form showed (0 for none): if another admin saved since, Save returns ErrConflict and
// stores nothing. Invalid settings return a *SettingsError and store nothing. What
// members use does not change: only Enable does that.
func (m *Manager) Save(r *http.Request, orgID string, s Settings, basedOn int) (*Org, error) {
	admin, err := m.authorize(r, orgID, ActionSave)
	if err != nil {
		return nil, err
	}
	s = s.normalize()
	ctx := r.Context()
	if _, err := s.idp(m.now(), true); err != nil {
		return nil, err
	}
	if s.MetadataURL != "" {
		if err := m.checkMetadataURL(ctx, s); err != nil {
			return nil, err
		}
	}
	o, err := m.cfg.Store.Get(ctx, orgID)
	create := errors.Is(err, ErrNotFound)
	switch {
	case create:
		o = &Org{ID: orgID}
	case err != nil:
		return nil, err
	}
	if pendingNumber(o) != basedOn {
		return nil, fmt.Errorf("%w (the form showed version %d; version %d was saved since)", ErrConflict, basedOn, pendingNumber(o))
	}
	next := pendingNumber(o)
	if o.Active != nil && o.Active.Number > next {
		next = o.Active.Number
	}
	o.Pending = &Version{Number: next + 1, Settings: s, ChangedAt: m.now().UTC(), ChangedBy: admin}
	if create {
		err = m.cfg.Store.Create(ctx, o)
		if errors.Is(err, ErrExists) {
			err = ErrConflict
		}
	} else {
		err = m.cfg.Store.Update(ctx, o)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

func pendingNumber(o *Org) int {
	if o.Pending == nil {
		return 0
	}
	return o.Pending.Number
}

// Enable makes pending version `version` of orgID active, if it is still the pending
// version and its last test passed; members sign in with it from then on (on every
// server within Config.RefreshInterval). The switch is one store update: members use
// either the old configuration or the new one, never a mix.
func (m *Manager) Enable(r *http.Request, orgID string, version int) (*Org, error) {
	admin, err := m.authorize(r, orgID, ActionEnable)
	if err != nil {
		return nil, err
	}
	o, err := m.cfg.Store.Get(r.Context(), orgID)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Pending == nil:
		return nil, ErrNoPending
	case o.Pending.Number != version:
		return nil, fmt.Errorf("%w: version %d is no longer the pending configuration (version %d is); test that one", ErrNotTested, version, o.Pending.Number)
	case !o.Pending.LastTest.Passed():
		return nil, fmt.Errorf("%w: run \"Update and Test SAML configuration\" successfully for version %d first", ErrNotTested, version)
	}
	if _, _, err := m.newSP(r.Context(), orgID, o.Pending, false); err != nil {
		return nil, err
	}
	o.Active = o.Pending.Clone()
	o.Enabled, o.ChangedAt, o.ChangedBy = true, m.now().UTC(), admin
	if err := m.cfg.Store.Update(r.Context(), o); err != nil {
		return nil, err
	}
	m.forget(orgID)
	return o, nil
}

// Disable stops SSO for orgID's members: its sign-in routes answer 404/403 and members
// sign in however the app does without SSO. The configurations are kept.
func (m *Manager) Disable(r *http.Request, orgID string) (*Org, error) {
	admin, err := m.authorize(r, orgID, ActionDisable)
	if err != nil {
		return nil, err
	}
	o, err := m.cfg.Store.Get(r.Context(), orgID)
	if err != nil {
		return nil, err
	}
	o.Enabled, o.ChangedAt, o.ChangedBy = false, m.now().UTC(), admin
	if err := m.cfg.Store.Update(r.Context(), o); err != nil {
		return nil, err
	}
	m.forget(orgID)
	return o, nil
}

// recordTest stores t as the last test of version, retrying when something else
// (a sign-in log write does not count; another admin's action does) changed the org in
// between. It refuses when version is no longer pending.
func (m *Manager) recordTest(ctx context.Context, orgID string, version int, t *Test) error {
	for range 5 {
		o, err := m.cfg.Store.Get(ctx, orgID)
		if err != nil {
			return err
		}
		if o.Pending == nil || o.Pending.Number != version {
			return errVersionChanged
		}
		o.Pending.LastTest = t
		if err = m.cfg.Store.Update(ctx, o); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return ErrConflict
}

var errVersionChanged = errors.New("orgs: the configuration changed while the test was running")

// View is what an SSO settings page shows, read in one authorized call.
type View struct {
	Org       *Org // Org.ID alone before the first Save
	Endpoints Endpoints
	// Form is the pending settings, or the defaults of a new configuration (Signed
	// Assertions on, IdP-initiated sign-in off); Version is the pending version number,
	// for Save's basedOn and Enable (0 before the first Save).
	Form    Settings
	Version int
	// Warnings are Warnings(Form); ActiveWarning is the certificate warning of the
	// version members use, if any.
	Warnings      map[string]string
	ActiveWarning string
	SignIns       []SignIn // the newest first
}

// View returns orgID's settings page (ActionView), with up to signIns log entries.
func (m *Manager) View(r *http.Request, orgID string, signIns int) (*View, error) {
	o, err := m.Get(r, orgID)
	if errors.Is(err, ErrNotFound) {
		o, err = &Org{ID: orgID}, nil
	}
	if err != nil {
		return nil, err
	}
	v := &View{Org: o, Endpoints: m.Endpoints(orgID), Form: Settings{SignedAssertions: true}}
	if p := o.Pending; p != nil {
		v.Form, v.Version = p.Settings, p.Number
	}
	v.Warnings = Warnings(v.Form, m.now())
	if o.Enabled && o.Active != nil {
		v.ActiveWarning = Warnings(o.Active.Settings, m.now())[FieldCertificate]
	}
	if o.Revision > 0 {
		v.SignIns, err = m.cfg.Store.SignIns(r.Context(), orgID, signIns)
	}
	return v, err
}
