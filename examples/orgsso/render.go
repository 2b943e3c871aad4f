package main

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/ssokit/saml/sp/orgs"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"join": strings.Join, "fix": appFix, "claims": orgs.Claims,
}).ParseFS(templateFS, "templates/*.html"))

func (a *App) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		a.log.Error("orgsso: template", "name", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
