package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/demoidp"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp/orgs"
	"github.com/ssokit/saml/sp/orgs/sqlstore"
)

// App is the multi-organization web app: its pages over sp/orgs.
type App struct {
	base  string // checked by orgs.New
	db    *sql.DB
	store orgs.Store
	sso   *orgs.Manager
	demo  *demoidp.IdP
	now   func() time.Time
	log   *slog.Logger
	mux   *http.ServeMux
}

// admins are the demo's admin accounts and their passwords (shown on its sign-in page).
// Whoever creates an organization is its admin; the demo organization's is the first.
var admins = map[string]string{"admin@orgsso.example": "admin-demo", "other@orgsso.example": "other-demo"}

const demoAdmin = "admin@orgsso.example"

// New returns the app at baseURL (every SP Entity ID and ACS URL starts with it) over
// the SQLite database db, with the demo IdP mounted at baseURL/demo-idp/ unless nil.
// fetcher gets metadata URLs (nil: sp/orgs's default).
func New(baseURL string, db *sql.DB, demo *demoidp.IdP, fetcher metadata.Getter, now func() time.Time, logger *slog.Logger) (*App, error) {
	a := &App{base: strings.TrimSuffix(baseURL, "/"), db: db, demo: demo, now: now, log: logger, mux: http.NewServeMux()}
	st, err := sqlstore.Open(context.Background(), db, sqlstore.Options{Dialect: sqlstore.SQLite})
	var key []byte // signs sp/orgs's cookies
	if err == nil {
		a.store = st
		key, err = st.CookieKey(context.Background())
	}
	if err != nil {
		return nil, err
	}
	a.sso, err = orgs.New(orgs.Config{
		Store: a.store, BaseURL: a.base, CookieKey: key, Now: a.now, Logger: a.log, MetadataFetcher: fetcher,
		Authorize: a.authorize,
		OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, as *assertion.Assertion, returnTo string) error {
			if err := store(r.Context(), a.db, "member/"+o.ID+"/"+as.NameID.Value, orgs.MemberOf(as, a.now())); err != nil {
				return err
			}
			if err := a.sso.StartSession(w, r, o.ID, as); err != nil {
				return err
			}
			http.Redirect(w, r, returnTo, http.StatusSeeOther)
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	a.routes()
	return a, nil
}

func (a *App) routes() {
	a.mux.Handle("/organizations/{org}/saml/", a.sso.Handler())
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { a.home(w, r, http.StatusOK, "", "", "") })
	a.mux.HandleFunc("POST /{$}", a.createOrg)
	a.mux.HandleFunc("GET /admin/login", a.serveAdminLogin)
	a.mux.HandleFunc("POST /admin/login", a.adminLogin)
	a.mux.HandleFunc("POST /admin/logout", a.adminLogout)
	a.mux.HandleFunc("GET /organizations/{org}", a.withOrg(a.serveOrg))
	a.mux.HandleFunc("GET /organizations/{org}/settings/sso", a.withOrg(func(w http.ResponseWriter, r *http.Request, o *Org) { a.showSettings(w, r, o, http.StatusOK, nil) }))
	a.mux.HandleFunc("POST /organizations/{org}/settings/sso", a.withOrg(a.updateAndTest))
	a.mux.HandleFunc("POST /organizations/{org}/settings/sso/enable", a.withOrg(a.enable))
	a.mux.HandleFunc("POST /organizations/{org}/settings/sso/disable", a.withOrg(a.disable))
}

// ServeHTTP refuses the app's own form posts from other sites (sp/orgs checks its admin
// actions itself; the ACS and the demo IdP take cross-site posts).
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/admin/")) {
		if err := a.sso.CheckSameOrigin(r); err != nil {
			http.Error(w, "Refused: "+err.Error()+" (its -base-url). Open it there.", http.StatusForbidden)
			return
		}
	}
	a.mux.ServeHTTP(w, r)
}

func (a *App) withOrg(h func(http.ResponseWriter, *http.Request, *Org)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, err := getOrg(r.Context(), a.db, r.PathValue("org"))
		if err != nil {
			a.serverError(w, r, err)
		} else if o == nil {
			http.NotFound(w, r)
		} else {
			h(w, r, o)
		}
	}
}

// authorize is sp/orgs's Authorize: the demo's admin sign-in, and the org's own admin.
func (a *App) authorize(r *http.Request, org string, _ orgs.Action) (string, error) {
	admin := a.signedInAdmin(r)
	if admin == "" {
		return "", errors.New("not signed in as an admin")
	}
	o, err := getOrg(r.Context(), a.db, org)
	if err != nil || o == nil || o.Admin != admin {
		return "", fmt.Errorf("%s is not an admin of %s", admin, org)
	}
	return admin, nil
}

// adminCookie holds a random session ID; the session is stored under "admin/<ID>".
const adminCookie = "orgsso-admin"

type adminSession struct {
	Email string
	Until time.Time
}

// signedInAdmin is the admin whose unexpired session the request's cookie names.
func (a *App) signedInAdmin(r *http.Request) string {
	var s adminSession
	if c, err := r.Cookie(adminCookie); err == nil {
		if ok, _ := load(r.Context(), a.db, "admin/"+c.Value, &s); ok && a.now().Before(s.Until) {
			return s.Email
		}
	}
	return ""
}

func (a *App) adminLogin(w http.ResponseWriter, r *http.Request) {
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	if want, ok := admins[email]; !ok || !hmac.Equal([]byte(pw), []byte(want)) {
		a.render(w, http.StatusUnauthorized, "adminlogin", map[string]any{"Error": "Wrong e-mail or password.", "Next": r.PostFormValue("next"), "Admins": admins})
		return
	}
	id := rand.Text() // 128 random bits
	if err := store(r.Context(), a.db, "admin/"+id, adminSession{email, a.now().Add(8 * time.Hour)}); err != nil {
		a.serverError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(a.base, "https:")})
	next := r.PostFormValue("next") // a path on this site only: not //host, not /\host
	if !strings.HasPrefix(next, "/") || len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (a *App) serveAdminLogin(w http.ResponseWriter, r *http.Request) {
	a.render(w, http.StatusOK, "adminlogin", map[string]any{"Next": r.URL.Query().Get("next"), "Admins": admins})
}

// adminLogout ends the stored session, so a copy of the cookie stops working too.
func (a *App) adminLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(adminCookie); err == nil && a.signedInAdmin(r) != "" {
		store(r.Context(), a.db, "admin/"+c.Value, adminSession{}) // expired
	}
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	ref := rand.Text()[:10]
	a.log.ErrorContext(r.Context(), "orgsso: internal error", "ref", ref, "err", err)
	http.Error(w, "internal error, reference "+ref, http.StatusInternalServerError)
}
