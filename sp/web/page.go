package web

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"

	"github.com/ssokit/saml/sp"
)

// pageStyle is the one style of the error page; the page's Content-Security-Policy
// allows exactly it, by hash, and nothing else.
const pageStyle = `body{margin:0;background:#f4f5f7;color:#1f2328;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}` +
	`main{max-width:34rem;margin:12vh auto;padding:2rem 2.25rem;background:#fff;border:1px solid #d8dbe0;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.06)}` +
	`h1{margin:0 0 .75rem;font-size:1.5rem;font-weight:600}` +
	`p{margin:0 0 1rem}` +
	`a.again{display:inline-block;padding:.55rem 1.2rem;border-radius:6px;background:#0b5cd5;color:#fff;text-decoration:none;font-weight:600}` +
	`a.again:focus,a.again:hover{background:#0848a8}` +
	`.ref{margin:1.5rem 0 0;color:#59636e;font-size:.9rem}` +
	`code{padding:.1rem .35rem;border-radius:4px;background:#eef0f2;font:.95em ui-monospace,Menlo,Consolas,monospace}`

// pageCSP forbids everything on the page but its own style.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Heading}}</title><style>` + pageStyle + `</style></head>
<body><main>
<h1>{{.Heading}}</h1>
<p>{{.Message}}</p>
<p><a class="again" href="{{.TryAgain}}">Try again</a></p>
<p class="ref">If this keeps happening, contact your administrator and quote reference <code>{{.Ref}}</code>.</p>
</main></body></html>
`))

// statusFor is the HTTP status of a failure: 503 for an outage (a store that cannot
// answer, sp.ErrUnavailable), whatever the caller proposed, so the user is told to come
// back rather than that their sign-in was refused.
func statusFor(status int, err error) int {
	if errors.Is(err, sp.ErrUnavailable) {
		return http.StatusServiceUnavailable
	}
	return status
}

// writeErrorPage writes the generic page for a failure logged under ref. It says
// nothing about why beyond outage or refusal: the reason can name certificates,
// tenants and configuration an end user has no business seeing.
func (h *Handlers) writeErrorPage(w http.ResponseWriter, status int, err error, ref string) {
	data := struct{ Heading, Message, TryAgain, Ref string }{"Sign-in failed", sp.UserMessage(err), h.cfg.SignInURL, ref}
	if status == http.StatusServiceUnavailable {
		data.Heading, data.Message = "Sign-in is unavailable", sp.UserMessage(sp.ErrUnavailable)
		w.Header().Set("Retry-After", "60")
	}
	if data.TryAgain == "" {
		data.TryAgain = h.cfg.DefaultReturnTo
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	errorPage.Execute(w, data)
}
