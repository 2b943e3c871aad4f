package orgs

import (
	"context"
	"crypto/x509"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

// activeSP is what one server knows of an organization's active configuration: the
// sp/web handlers members sign in through (nil when SSO is not enabled), as of checked.
type activeSP struct {
	enabled bool
	number  int // the active version
	idp     *metadata.IdP
	org     *Org
	h       *web.Handlers
	checked time.Time
}

func activeNumber(o *Org) int {
	if o.Active == nil {
		return 0
	}
	return o.Active.Number
}

// forget drops what this server cached of orgID, after it changed it itself.
func (m *Manager) forget(orgID string) {
	m.mu.Lock()
	delete(m.active, orgID)
	m.mu.Unlock()
}

// activeFor returns orgID's active SP as of at most RefreshInterval ago: the version
// check that makes an Enable on one server reach every server within that bound.
func (m *Manager) activeFor(ctx context.Context, orgID string) (*activeSP, error) {
	now := m.now()
	m.mu.Lock()
	e := m.active[orgID]
	m.mu.Unlock()
	if e != nil && m.refresh > 0 && now.Sub(e.checked) < m.refresh {
		return e, nil
	}
	o, err := m.cfg.Store.Get(ctx, orgID)
	if err != nil {
		return nil, err // not cached: unknown IDs must not grow the map
	}
	enabled := o.Enabled && o.Active != nil
	same := e != nil && e.enabled == enabled && e.number == activeNumber(o)
	if same && enabled && o.Active.Settings.MetadataURL != "" {
		// A refreshed metadata document (new certificates) is a new IdP value.
		cur, err := m.remoteIdP(ctx, orgID, o.Active.Settings)
		same = err == nil && cur == e.idp
	}
	if same {
		e = &activeSP{enabled: e.enabled, number: e.number, idp: e.idp, org: o, h: e.h, checked: now}
	} else {
		e = &activeSP{enabled: enabled, number: activeNumber(o), org: o, checked: now}
		if enabled {
			if e.h, e.idp, err = m.handlers(ctx, o); err != nil {
				return nil, err
			}
		}
	}
	m.mu.Lock()
	m.active[orgID] = e
	m.mu.Unlock()
	return e, nil
}

// handlers builds the sp/web handlers of o's active configuration.
func (m *Manager) handlers(ctx context.Context, o *Org) (*web.Handlers, *metadata.IdP, error) {
	p, idp, err := m.newSP(ctx, o.ID, o.Active, false)
	if err != nil {
		return nil, nil, err
	}
	orgID, settings := o.ID, o.Active.Settings
	version := o.Active.Number
	var h *web.Handlers
	h, err = web.New(p, web.Config{
		CookieKey:       m.cfg.CookieKey,
		CookieName:      cookieName(orgID),
		DefaultReturnTo: m.homePath(orgID),
		RequestStore:    m.requestStore(orgID),
		SessionStore:    m.sessionStore(orgID),
		OnLogin: func(w http.ResponseWriter, r *http.Request, a *assertion.Assertion, returnTo string) error {
			for _, c := range guard(settings, idp.EntityID, a) {
				if c.Status == sp.Failed {
					ref := randomHex(6)
					m.log.WarnContext(r.Context(), "orgs: member sign-in refused", "org", orgID, "ref", ref, "check", c.Name, "err", c.Err)
					m.memberFailed(w, r, orgID, version, c.Err, ref, a)
					return nil
				}
			}
			m.logSignIn(r, orgID, SignIn{At: m.now().UTC(), Version: version, Result: Succeeded, NameID: a.NameID.Value, Signer: signer(a)})
			if m.cfg.OnLogin != nil {
				cur, err := m.activeFor(r.Context(), orgID)
				if err != nil {
					return err
				}
				return m.cfg.OnLogin(w, r, cur.org, a, returnTo)
			}
			if _, err := h.StartSession(w, r, a, nil); err != nil {
				return err
			}
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Location", returnTo)
			w.WriteHeader(http.StatusSeeOther)
			return nil
		},
		OnError: func(w http.ResponseWriter, r *http.Request, err error, ref string) {
			// The SP or sp/web logged err under ref already (with org): one record.
			m.memberFailed(w, r, orgID, version, err, ref, nil)
			var ue *sp.UnknownSignerError
			if settings.MetadataURL != "" && errors.As(err, &ue) {
				m.refreshForSigner(r.Context(), orgID, settings, ue.Certificate)
			}
		},
	})
	return h, idp, err
}

// refreshForSigner fetches a metadata URL again after a response signed by a
// certificate it does not list (an IdP rollover), at most once per the Remote's
// UnknownSignerInterval however many such responses arrive; the member's next attempt
// uses what it found.
func (m *Manager) refreshForSigner(ctx context.Context, orgID string, s Settings, signer *x509.Certificate) {
	r, err := m.remote(orgID, s)
	if err == nil {
		_, err = r.RefreshUnknownSigner(ctx, signer)
	}
	if err != nil {
		m.log.WarnContext(ctx, "orgs: metadata refresh for an unknown signer failed", "org", orgID, "err", err)
	}
	m.forget(orgID)
}

func (m *Manager) homePath(orgID string) string { return m.prefix + orgID }

// memberFailed records a refused member sign-in, already logged under ref, and shows the member the generic page
// (or Config.OnError's).
func (m *Manager) memberFailed(w http.ResponseWriter, r *http.Request, orgID string, version int, err error, ref string, a *assertion.Assertion) {
	e := SignIn{At: m.now().UTC(), Version: version, Result: Refused, Reason: err.Error(), AADSTS: aadsts(err), Ref: ref}
	if a != nil {
		e.NameID, e.Signer = a.NameID.Value, signer(a)
	}
	var se *sp.Error
	switch {
	case errors.As(err, &se):
		e.Check = se.Check
	case errors.Is(err, ErrEmailDomain):
		e.Check = checkEmailDomain
	case errors.Is(err, ErrTenant):
		e.Check = checkTenant
	}
	m.logSignIn(r, orgID, e)
	if m.cfg.OnError != nil {
		m.cfg.OnError(w, r, orgID, err, ref)
		return
	}
	msg := sp.UserMessage(err)
	if errors.Is(err, ErrEmailDomain) || errors.Is(err, ErrTenant) {
		msg = "This account cannot sign in to this organization."
	}
	status, title := http.StatusForbidden, "Sign-in failed"
	if errors.Is(err, sp.ErrUnavailable) {
		status, title = http.StatusServiceUnavailable, "Sign-in is unavailable"
	}
	page(w, status, title, msg+" If this keeps happening, contact your administrator and quote reference "+ref+".", "")
}

// signer is the thumbprint of the certificate that signed a, as Entra shows it.
func signer(a *assertion.Assertion) string {
	if a == nil || a.Signer == nil {
		return ""
	}
	return certs.Thumbprint(a.Signer)
}

func (m *Manager) logSignIn(r *http.Request, orgID string, e SignIn) {
	if err := m.cfg.Store.Log(r.Context(), orgID, e); err != nil {
		m.log.ErrorContext(r.Context(), "orgs: cannot write the sign-in log", "org", orgID, "err", err)
	}
}

// Handler serves every organization's member routes under PathPrefix:
// {org}/saml/login (SP-initiated sign-in), {org}/saml/consume (the ACS, for members
// and for admins' tests), {org}/saml/metadata (SP metadata) and {org}/saml/logout
// (Single Logout: web.Handlers.Logout of the org's active SP), and {org}/saml/signout
// (the member's Sign out, web.Handlers.SignOut: a same-origin POST ends the session and,
// when the IdP has a Logout URL, sends the browser on to end the IdP session too). Mount
// it at PathPrefix; any other path is 404.
func (m *Manager) Handler() http.Handler { return http.HandlerFunc(m.serve) }

func (m *Manager) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, m.prefix)
	orgID, route, _ := strings.Cut(rest, "/saml/")
	if !ok || !ValidID(orgID) {
		http.NotFound(w, r)
		return
	}
	switch route {
	case "metadata":
		m.serveMetadata(w, r, orgID)
	case "login":
		cur, ok := m.enabled(w, r, orgID, http.StatusNotFound)
		if ok {
			cur.h.Login().ServeHTTP(w, r)
		}
	case "consume":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "the Assertion Consumer Service takes the IdP's HTTP-POST", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "cannot read the posted form", http.StatusBadRequest)
			return
		}
		if rs := r.PostForm.Get("RelayState"); isTestRelayState(rs) {
			m.finishTest(w, r, orgID, rs, r.PostForm.Get("SAMLResponse"))
			return
		}
		cur, ok := m.enabled(w, r, orgID, http.StatusForbidden)
		if ok {
			cur.h.ACS().ServeHTTP(w, r)
		}
	case "logout":
		cur, ok := m.enabled(w, r, orgID, http.StatusNotFound)
		if ok {
			cur.h.Logout().ServeHTTP(w, r)
		}
	case "signout":
		cur, ok := m.enabled(w, r, orgID, http.StatusNotFound)
		if ok {
			cur.h.SignOut().ServeHTTP(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

// enabled returns orgID's active SP, or answers status (404 or 403) with a page saying
// SSO is not enabled.
func (m *Manager) enabled(w http.ResponseWriter, r *http.Request, orgID string, status int) (*activeSP, bool) {
	cur, err := m.activeFor(r.Context(), orgID)
	switch {
	case errors.Is(err, ErrNotFound):
		http.NotFound(w, r)
		return nil, false
	case err != nil:
		m.serverError(w, r, err)
		return nil, false
	case !cur.enabled:
		page(w, status, "Single sign-on is not enabled", "Single sign-on is not enabled for this organization. An admin must test and enable it first.", "")
		return nil, false
	}
	return cur, true
}

func (m *Manager) serveMetadata(w http.ResponseWriter, r *http.Request, orgID string) {
	o, err := m.cfg.Store.Get(r.Context(), orgID)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		m.serverError(w, r, err)
		return
	}
	xml, err := m.spMetadata(o)
	if err != nil {
		m.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+orgID+`-sp-metadata.xml"`)
	}
	w.Write(xml)
}

// spMetadata is the SP metadata of o: what the admin can upload to the IdP.
func (m *Manager) spMetadata(o *Org) ([]byte, error) {
	signed := true
	if v := o.Pending; v != nil {
		signed = v.Settings.SignedAssertions
	}
	e := m.Endpoints(o.ID)
	md := metadata.SP{
		EntityID: e.EntityID, ACSURL: e.ACSURL, SLOURL: e.LogoutURL, WantAssertionsSigned: signed,
		NameIDFormats: []string{"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
	}
	if m.cfg.Key != nil {
		md.EncryptionCertificate = m.cfg.Key.Certificate
	}
	return md.XML()
}

// Session returns the member's session in orgID from the default session cookie (when
// Config.OnLogin is nil), or nil: none, expired, or SSO not enabled any more.
func (m *Manager) Session(r *http.Request, orgID string) *web.Session {
	cur, err := m.activeFor(r.Context(), orgID)
	if err != nil || !cur.enabled {
		return nil
	}
	return cur.h.Session(r)
}

// EndSession deletes the member's default session cookie of orgID.
func (m *Manager) EndSession(w http.ResponseWriter, r *http.Request, orgID string) {
	if cur, err := m.activeFor(r.Context(), orgID); err == nil && cur.enabled {
		cur.h.EndSession(w, r)
	}
}

func (m *Manager) serverError(w http.ResponseWriter, r *http.Request, err error) {
	ref := randomHex(6)
	m.log.ErrorContext(r.Context(), "orgs: internal error", "ref", ref, "err", err)
	page(w, http.StatusInternalServerError, "Internal error", "Something went wrong on our side. Quote reference "+ref+" to your administrator.", "")
}

func (m *Manager) testProblem(w http.ResponseWriter, r *http.Request, orgID string, status int, msg string) {
	m.log.WarnContext(r.Context(), "orgs: SSO test answer refused", "org", orgID, "reason", msg)
	page(w, status, "SSO test not recorded", msg, m.settingsPath(orgID))
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><main id="orgs-page"><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Link}}<p><a href="{{.Link}}">Back to the SSO settings</a></p>{{end}}</main></body></html>
`))

func page(w http.ResponseWriter, status int, title, msg, link string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	pageTmpl.Execute(w, struct{ Title, Message, Link string }{title, msg, link})
}

// Enabled reports whether orgID's members sign in through SSO (as this server last read
// it, at most RefreshInterval ago); false for an unknown organization.
func (m *Manager) Enabled(ctx context.Context, orgID string) (bool, error) {
	if !ValidID(orgID) {
		return false, nil
	}
	cur, err := m.activeFor(ctx, orgID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && cur.enabled, err
}

// StartSession sets the default session cookie of orgID for a, for a Config.OnLogin
// that records something and then wants the default session (read with Session).
func (m *Manager) StartSession(w http.ResponseWriter, r *http.Request, orgID string, a *assertion.Assertion) error {
	cur, err := m.activeFor(r.Context(), orgID)
	if err != nil {
		return err
	}
	if !cur.enabled {
		return errors.New("orgs: SSO is not enabled for " + orgID)
	}
	_, err = cur.h.StartSession(w, r, a, nil)
	return err
}
