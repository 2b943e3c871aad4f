package demoidp

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
)

type loginPage struct {
	Token    string // parked sign-in to finish after the password
	App      string // the application the user is signing in to, if any
	Username string
	Error    string
	Users    []User
	Action   string
}

type myAppsPage struct {
	User User
	Apps []appLink
}

type appLink struct {
	App
	SignInURL string
}

type appRow struct {
	App
	AppID       string
	MetadataURL string // App Federation Metadata Url
}

type appsPage struct {
	Apps           []appRow
	Certificates   []certificateRow
	EntityID       string
	ReplyURL       string
	AppLogoutURL   string
	Error          string
	LoginURL       string
	Identifier     string
	MetadataURL    string
	CertificateURL string
	CertificatePEM string
	Signing        Signing
	Options        []signingOption
}

type signingOption struct {
	Value string
	Signing
}

var signingOptions = []signingOption{{"assertion", SignAssertion}, {"response", SignResponse}, {"both", SignResponseAndAssertion}}

func (d *IdP) renderLogin(w http.ResponseWriter, status int, p loginPage) {
	for _, name := range d.order {
		p.Users = append(p.Users, d.users[strings.ToLower(name)])
	}
	p.Action = d.path("/login")
	d.render(w, status, "login", p)
}

func (d *IdP) renderError(w http.ResponseWriter, status int, msg string) {
	d.render(w, status, "error", struct{ Message string }{msg})
}

func (d *IdP) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, struct {
		Base   string
		Tenant string
		Page   any
	}{d.base.Path, d.tenant, data}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.}} · Demo Entra ID</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
.bar{background:#0f6cbd;color:#fff;padding:10px 24px;font-weight:600}
.bar small{font-weight:400;opacity:.85;margin-left:8px}
.card{background:#fff;max-width:640px;margin:40px auto;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.wide{max-width:900px}
h1{font-size:24px;font-weight:600;margin-top:0}
label{display:block;margin:14px 0 4px}
input[type=text],input[type=password],input[type=url]{width:100%;box-sizing:border-box;padding:6px 2px;border:0;border-bottom:1px solid #666;font-size:15px}
button,.button{background:#0067b8;color:#fff;border:0;padding:8px 24px;font-size:15px;margin-top:20px;cursor:pointer;text-decoration:none;display:inline-block}
.error{color:#e81123;margin:10px 0}
.hint{background:#fff4ce;padding:10px 14px;font-size:14px;margin-top:24px}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{text-align:left;padding:6px;border-bottom:1px solid #ddd;vertical-align:top}
.hint code{word-break:normal;white-space:nowrap}form.inline{display:inline}.inline button{margin-top:0;padding:4px 12px}
code,pre{font-family:Consolas,monospace;font-size:13px;word-break:break-all}pre{white-space:pre-wrap;background:#f6f6f6;padding:8px}
</style></head><body><div class="bar">Microsoft Entra ID <small>demo identity provider — not Microsoft</small></div>{{end}}

{{define "login"}}{{template "head" "Sign in"}}
<div class="card">
<h1>Sign in</h1>
{{with .Page.App}}<p>to continue to <code>{{.}}</code></p>{{end}}
{{with .Page.Error}}<p class="error" id="login-error">{{.}}</p>{{end}}
<form method="post" action="{{.Page.Action}}">
<input type="hidden" name="token" value="{{.Page.Token}}">
<input type="hidden" name="app" value="{{.Page.App}}">
<label for="username">Email, phone, or Skype</label>
<input type="text" id="username" name="username" value="{{.Page.Username}}" autocomplete="username" autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit" id="signin">Sign in</button>
</form>
<div class="hint"><strong>Demo users</strong> (this IdP is a demo; the passwords are public):
<table>{{range .Page.Users}}<tr><td><code>{{.Username}}</code></td><td>password <code>{{.Password}}</code></td><td>{{.DisplayName}}{{if .NotAssigned}}<br><small>not assigned to any application</small>{{else if gt (len .Groups) 150}}<br><small>in {{len .Groups}} groups (overage)</small>{{end}}</td></tr>{{end}}</table></div>
</div></body></html>{{end}}

{{define "myapps"}}{{template "head" "My Apps"}}
<div class="card wide">
<h1>My Apps</h1>
<p>Signed in as <strong>{{.Page.User.DisplayName}}</strong> (<code>{{.Page.User.Username}}</code>) · <a href="{{.Base}}/logout">Sign out</a></p>
{{if .Page.Apps}}<table><tr><th>Application</th><th>Reply URL</th></tr>
{{range .Page.Apps}}<tr><td><a class="app" href="{{.SignInURL}}">{{.EntityID}}</a></td><td><code>{{.ACSURL}}</code></td></tr>{{end}}
</table>{{else}}<p>No applications yet. Add one under <a href="{{.Base}}/apps">Enterprise applications</a>.</p>{{end}}
<p>Clicking an application signs you in to it IdP-initiated, the way Entra's My Apps portal does.</p>
</div></body></html>{{end}}

{{define "apps"}}{{template "head" "Enterprise applications"}}
<div class="card wide">
<h1>Enterprise applications</h1>
<h2>Set up single sign-on with SAML</h2>
<table>
<tr><th>Login URL</th><td><code id="login-url">{{.Page.LoginURL}}</code></td></tr>
<tr><th>Microsoft Entra Identifier</th><td><code>{{.Page.Identifier}}</code></td></tr>
<tr><th>Logout URL</th><td><code id="logout-url">{{.Page.LoginURL}}</code></td></tr>
<tr><th>Federation metadata (tenant)</th><td><code>{{.Page.MetadataURL}}</code></td></tr>
<tr><th>Signing Option</th><td><form method="post" class="inline"><select name="signing" id="signing">{{range .Page.Options}}<option value="{{.Value}}" {{if eq .Signing $.Page.Signing}}selected{{end}}>{{.Signing}}</option>{{end}}</select> <button type="submit" id="save-signing">Save</button></form> (SHA-256)</td></tr>
<tr><th>Certificate (Base64)</th><td><a href="{{.Page.CertificateURL}}">Download</a> (the active certificate)<pre id="certificate">{{.Page.CertificatePEM}}</pre></td></tr>
</table>
<h2>SAML Certificates</h2>
<table id="certificates"><tr><th>Status</th><th>Thumbprint</th><th>Expiration date</th><th></th></tr>
{{range .Page.Certificates}}<tr class="cert" data-thumbprint="{{.Thumbprint}}"><td class="status">{{.Status}}</td><td><code>{{.Thumbprint}}</code></td><td>{{.Expires}}</td><td>{{if not .Active}}<form method="post" class="inline"><input type="hidden" name="thumbprint" value="{{.Thumbprint}}"><button type="submit" name="certificate" value="activate" id="activate-{{.Thumbprint}}">Make certificate active</button></form>
<form method="post" class="inline"><input type="hidden" name="thumbprint" value="{{.Thumbprint}}"><button type="submit" name="certificate" value="delete" id="delete-{{.Thumbprint}}">Delete Certificate</button></form>{{end}}</td></tr>
{{end}}</table>
<form method="post" class="inline"><button type="submit" name="certificate" value="new" id="new-certificate">New Certificate</button></form>
<p>A new certificate is Inactive: the App Federation Metadata Url publishes it at once, and the active one keeps signing until you click Make certificate active.</p>
<h2>Applications</h2>
{{if .Page.Apps}}<table><tr><th>Identifier (Entity ID)</th><th>Reply URL (Assertion Consumer Service URL)</th><th>Logout Url</th><th>App Federation Metadata Url</th></tr>
{{range .Page.Apps}}<tr><td><code>{{.EntityID}}</code></td><td><code>{{.ACSURL}}</code></td><td><code>{{.LogoutURL}}</code></td><td><code class="app-metadata-url" data-entity-id="{{.EntityID}}">{{.MetadataURL}}</code></td></tr>{{end}}</table>{{else}}<p>None yet.</p>{{end}}
<h2>New application</h2>
{{with .Page.Error}}<p class="error">{{.}}</p>{{end}}
<form method="post">
<label for="entity_id">Identifier (Entity ID)</label><input type="text" id="entity_id" name="entity_id" value="{{.Page.EntityID}}">
<label for="reply_url">Reply URL (Assertion Consumer Service URL)</label><input type="text" id="reply_url" name="reply_url" value="{{.Page.ReplyURL}}">
<label for="logout_url">Logout Url (Optional)</label><input type="text" id="logout_url" name="logout_url" value="{{.Page.AppLogoutURL}}">
<button type="submit" id="save-app">Save</button>
</form>
<p><a href="{{.Base}}/myapps">My Apps</a></p>
</div></body></html>{{end}}

{{define "error"}}{{template "head" "Sign-in error"}}
<div class="card"><h1>Sorry, but we’re having trouble signing you in.</h1>
<p class="error" id="idp-error">{{.Page.Message}}</p></div></body></html>{{end}}
`))
