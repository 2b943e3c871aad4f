package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/demoidp"
	"github.com/ssokit/saml/sp/orgs"
	"github.com/ssokit/saml/sp/orgs/sqlstore"
)

// App is the multi-organization web app: its pages over sp/orgs.
type App struct {
	base, origin string
	db           *sql.DB
	store        orgs.Store
	sso          *orgs.Manager
	demo         *demoidp.IdP
	now          func() time.Time
	log          *slog.Logger
	key          []byte
	mux          *http.ServeMux
}

// admins are the demo's admin accounts and their passwords (shown on its sign-in page).
// Whoever creates an organization is its admin; the demo organization's is the first.
var admins = map[string]string{"admin@orgsso.example": "admin-demo", "other@orgsso.example": "other-demo"}

const demoAdmin = "admin@orgsso.example"

// New returns the app at baseURL (every SP Entity ID and ACS URL starts with it) over
// the SQLite database db, with the demo IdP mounted at baseURL/demo-idp/ unless nil.
func New(baseURL string, db *sql.DB, demo *demoidp.IdP, now func() time.Time, logger *slog.Logger) (*App, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("base URL %q must be an absolute http(s) URL", baseURL)
	}
	a := &App{base: u.String(), origin: u.Scheme + "://" + u.Host, db: db, demo: demo, now: now, log: logger, mux: http.NewServeMux()}
	st, err := sqlstore.Open(bgCtx, db, sqlstore.Options{Dialect: sqlstore.SQLite})
	if err == nil {
		a.store = st
		a.key, err = st.CookieKey(bgCtx) // signs every cookie of the app and of sp/orgs
	}
	if err != nil {
		return nil, err
	}
	fetcher, err := metadataFetcher(demo) // the demo IdP's metadata server, and the default Fetcher for the rest
	if err != nil {
		return nil, err
	}
	a.sso, err = orgs.New(orgs.Config{
		Store: a.store, BaseURL: a.base, CookieKey: a.key, Now: a.now, Logger: a.log, MetadataFetcher: fetcher,
		Authorize: a.authorize,
		OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, as *assertion.Assertion, returnTo string) error {
			m := memberOf(as)
			m.LastLogin = a.now()
			if err := store(r.Context(), a.db, "member/"+o.ID+"/"+as.NameID.Value, m, false); err != nil {
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
	m := a.mux
	if a.demo != nil {
		m.Handle("/demo-idp/", a.demo) // the demo IdP
	}
	m.Handle("/organizations/{org}/saml/", a.sso.Handler())
	m.HandleFunc("GET /{$}", a.serveHome)
	m.HandleFunc("POST /{$}", a.createOrg)
	m.HandleFunc("GET /admin/login", a.serveAdminLogin)
	m.HandleFunc("POST /admin/login", a.adminLogin)
	m.HandleFunc("POST /admin/logout", a.adminLogout)
	m.HandleFunc("GET /organizations/{org}", a.withOrg(a.serveOrg))
	m.HandleFunc("GET /organizations/{org}/settings/sso", a.withOrg(a.serveSettings))
	m.HandleFunc("POST /organizations/{org}/settings/sso", a.withOrg(a.updateAndTest))
	m.HandleFunc("POST /organizations/{org}/settings/sso/enable", a.withOrg(a.enable))
	m.HandleFunc("POST /organizations/{org}/settings/sso/disable", a.withOrg(a.disable))
}

// ServeHTTP refuses the app's own form posts from other sites (sp/orgs checks its admin
// actions itself; the ACS and the demo IdP take cross-site posts).
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/admin/")) && r.Header.Get("Origin") != a.origin && r.Header.Get("Sec-Fetch-Site") != "same-origin" {
		http.Error(w, "Form posted from another origin ("+r.Header.Get("Origin")+"); this app is at "+a.origin+" (its -base-url). Open it there.", http.StatusForbidden)
		return
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

const adminCookie = "orgsso-admin"

func (a *App) mac(v string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("orgsso admin|" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signedInAdmin reads the admin session cookie: "email|expiry|mac".
func (a *App) signedInAdmin(r *http.Request) string {
	c, err := r.Cookie(adminCookie)
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(c.Value, '|')
	if i < 0 || !hmac.Equal([]byte(c.Value[i+1:]), []byte(a.mac(c.Value[:i]))) {
		return ""
	}
	email, exp, _ := strings.Cut(c.Value[:i], "|")
	if sec, _ := strconv.ParseInt(exp, 10, 64); a.now().Unix() >= sec {
		return ""
	}
	return email
}

func (a *App) adminLogin(w http.ResponseWriter, r *http.Request) {
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	if want, ok := admins[email]; !ok || !hmac.Equal([]byte(pw), []byte(want)) {
		a.render(w, http.StatusUnauthorized, "adminlogin", map[string]any{"Error": "Wrong e-mail or password.", "Next": r.PostFormValue("next"), "Admins": admins})
		return
	}
	v := email + "|" + strconv.FormatInt(a.now().Add(8*time.Hour).Unix(), 10)
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: v + "|" + a.mac(v), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(a.base, "https:")})
	next := r.PostFormValue("next") // a path on this site only: not //host, not /\host
	if !strings.HasPrefix(next, "/") || len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (a *App) serveAdminLogin(w http.ResponseWriter, r *http.Request) {
	a.render(w, http.StatusOK, "adminlogin", map[string]any{"Next": r.URL.Query().Get("next"), "Admins": admins})
}

func (a *App) adminLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	ref := rand.Text()[:10]
	a.log.ErrorContext(r.Context(), "orgsso: internal error", "ref", ref, "err", err)
	http.Error(w, "internal error, reference "+ref, http.StatusInternalServerError)
}
