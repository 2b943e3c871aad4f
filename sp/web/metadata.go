package web

import "net/http"

// Metadata serves the SP's SAML metadata (sp.SP.Metadata), the file an admin can upload
// to the IdP (Entra: Basic SAML Configuration → Upload metadata file) instead of typing
// the Identifier and Reply URL.
func (h *Handlers) Metadata() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.Header().Set("Content-Disposition", `attachment; filename="sp-metadata.xml"`)
		w.Write(h.metadata)
	})
}
