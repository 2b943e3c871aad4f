package web

import (
	"html/template"
	"net/http"
	"slices"
)

// RequireGroup serves next only to a signed-in user whose session lists group (Entra:
// the group's Object ID, as the groups claim carries it); it signs anonymous users in
// first, like RequireLogin. Anyone else gets a 403 page. When the IdP left the groups
// out because the user is in too many (Entra's groups overage), the page and the log
// say so: membership is unknown, not refused.
func (h *Handlers) RequireGroup(group string, next http.Handler) http.Handler {
	return h.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := SessionFrom(r.Context())
		switch {
		case slices.Contains(sess.Groups, group):
			next.ServeHTTP(w, r)
		case sess.GroupsOverage:
			h.logger.WarnContext(r.Context(), "saml: access unknown: groups overage",
				"name_id", sess.NameID, "group", group,
				"fix", "the IdP sent a groups link instead of the groups (Entra: over 150 groups); in Entra, Attributes & Claims → groups claim → "+
					"\"Groups assigned to the application\", and assign this group to the application")
			h.forbidden(w, "Your account belongs to more groups than the sign-in could carry, so this app cannot tell whether you may open this page. "+
				"Ask your administrator to send only the groups assigned to this application.")
		default:
			h.logger.InfoContext(r.Context(), "saml: access refused: not in group", "name_id", sess.NameID, "group", group)
			h.forbidden(w, "This page is only for members of a group your account is not in.")
		}
	}))
}

// RequireRole serves next only to a signed-in user whose session lists role (Entra:
// an app role's Value, assigned to the user or one of their groups); it signs anonymous
// users in first, like RequireLogin. Anyone else gets a 403 page.
func (h *Handlers) RequireRole(role string, next http.Handler) http.Handler {
	return h.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := SessionFrom(r.Context())
		if slices.Contains(sess.Roles, role) {
			next.ServeHTTP(w, r)
			return
		}
		h.logger.InfoContext(r.Context(), "saml: access refused: role not assigned", "name_id", sess.NameID, "role", role)
		h.forbidden(w, "This page needs a role your account has not been given.")
	}))
}

var forbiddenPage = template.Must(template.New("forbidden").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Access denied</title></head>
<body><h1>Access denied</h1><p>{{.}}</p>
<p>If you think you should have access, contact your administrator.</p></body></html>
`))

func (h *Handlers) forbidden(w http.ResponseWriter, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(http.StatusForbidden)
	forbiddenPage.Execute(w, message)
}
