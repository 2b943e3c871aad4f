package web

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Metadata serves the SP's SAML metadata (sp.SP.Metadata), the file an admin can upload
// to the IdP (Entra: Basic SAML Configuration → Upload metadata file) instead of typing
// the Identifier and Reply URL. The download is named for the SP, from its Entity ID
// (https://app.example/organizations/acme/saml/metadata gives
// app.example-organizations-acme-sp-metadata.xml), so files for several SPs, tenants or
// environments are told apart in the admin's downloads.
func (h *Handlers) Metadata() http.Handler {
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": metadataFileName(h.sp.Config().EntityID)})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.Header().Set("Content-Disposition", disposition)
		w.Write(h.metadata)
	})
}

// metadataFileName names an SP's metadata file after its Entity ID: the host and path
// of a URL (or the parts of a URN), without the words every SP's path has, in
// lower-case letters, digits, '.' and '-'.
func metadataFileName(entityID string) string {
	var parts []string
	if u, err := url.Parse(entityID); err == nil && u.Host != "" {
		parts = append([]string{u.Host}, strings.Split(u.Path, "/")...)
	} else {
		parts = strings.Split(strings.TrimPrefix(strings.ToLower(entityID), "urn:"), ":")
	}
	const max = 100
	var b strings.Builder
	for _, p := range parts {
		p = fileNamePart(p)
		switch p {
		case "", "saml", "saml2", "sp", "sso", "metadata", "metadata.xml":
			continue
		}
		if b.Len()+len(p)+1 > max {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return "sp-metadata.xml"
	}
	return b.String() + "-sp-metadata.xml"
}

// fileNamePart keeps a-z, 0-9 and '.', turns runs of anything else into one '-', and
// trims '-' and '.' from the ends (no hidden files, no "..").
func fileNamePart(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-.")
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	return out
}
