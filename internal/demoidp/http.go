package demoidp

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/crewjam/saml"
)

// errNotExist is what a ServiceProviderProvider returns for an unknown entity ID;
// crewjam requires os.ErrNotExist there.
func errNotExist(entityID string) error {
	return fmt.Errorf("application %q: %w", entityID, os.ErrNotExist)
}

// Handler returns d; it exists so that mounting reads like other IdPs.
func (d *IdP) Handler() http.Handler { return d }

// ServeHTTP serves every page of the IdP below the path of Config.BaseURL:
//
//	/<tenant>/saml2                                          Login URL (SSO, HTTP-Redirect and HTTP-POST) and Logout URL
//	/<tenant>/federationmetadata/2007-06/federationmetadata.xml  federation metadata
//	/login, /logout                                          the IdP session (sign-out: Single Logout of every app)
//	/myapps, /myapps/signin?app=…                            My Apps and IdP-initiated sign-in
//	/apps                                                    Enterprise applications (register an SP)
//	/certificate                                             Certificate (Base64) download of the active certificate
func (d *IdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, ok := strings.CutPrefix(r.URL.Path, d.base.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch route {
	case "", "/":
		http.Redirect(w, r, d.path("/myapps"), http.StatusFound)
	case "/" + d.tenant + "/saml2":
		if !d.serveLogout(w, r) { // Single Logout shares the Login URL, as at Entra
			d.idp.Load().ServeSSO(w, withoutQuerySignature(r))
		}
	case "/" + d.tenant + "/federationmetadata/2007-06/federationmetadata.xml":
		d.serveFederationMetadata(w, r) // with ?appid=: the App Federation Metadata Url
	case "/login":
		d.serveLogin(w, r)
	case "/logout":
		d.serveSignOut(w, r)
	case "/myapps":
		d.serveMyApps(w, r)
	case "/myapps/signin":
		d.idp.Load().ServeIDPInitiated(w, r, r.FormValue("app"), r.FormValue("RelayState"))
	case "/apps":
		d.serveApps(w, r)
	case "/certificate":
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Header().Set("Content-Disposition", `attachment; filename="demo-idp.cer"`)
		fmt.Fprint(w, d.CertificatePEM())
	default:
		http.NotFound(w, r)
	}
}

// onError shows crewjam's refusals with the AADSTS code Entra uses for the same mistake, so
// the demo teaches what a real tenant would say.
func (d *IdP) onError(w http.ResponseWriter, _ *http.Request, status int, err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, saml.ErrUnknownServiceProvider):
		msg = "AADSTS700016: Application with identifier was not found in the directory. " +
			"The Identifier (Entity ID) the application sent does not match any Enterprise application. (" + msg + ")"
	case errors.Is(err, saml.ErrUnknownAssertionConsumerService):
		msg = "AADSTS50011: The reply URL specified in the request does not match the reply URLs configured for the application. (" + msg + ")"
	case errors.Is(err, saml.ErrDestinationMismatch):
		msg = "AADSTS75008: The request is denied because of an unexpected Destination. (" + msg + ")"
	case errors.Is(err, saml.ErrExpired), errors.Is(err, saml.ErrNotYetValid):
		msg = "AADSTS76026: The request has expired or is not yet valid. (" + msg + ")"
	case errors.Is(err, saml.ErrMalformedMessage):
		msg = "AADSTS75005: The request is not a valid SAML 2.0 protocol message. (" + msg + ")"
	}
	d.renderError(w, status, msg)
}

func (d *IdP) serveMyApps(w http.ResponseWriter, r *http.Request) {
	si, u := d.current(r)
	if si == nil {
		d.renderLogin(w, http.StatusOK, loginPage{})
		return
	}
	page := myAppsPage{User: u}
	for _, a := range d.Apps() {
		page.Apps = append(page.Apps, appLink{App: a, SignInURL: d.IdPInitiatedURL(a.EntityID, "")})
	}
	d.render(w, http.StatusOK, "myapps", page)
}

// crossOrigin refuses a form post a browser sent from another site, and says so.
func (d *IdP) crossOrigin(w http.ResponseWriter, r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != d.base.Scheme+"://"+d.base.Host {
		http.Error(w, "cross-origin form post refused", http.StatusForbidden)
		return true
	}
	return false
}

func (d *IdP) serveApps(w http.ResponseWriter, r *http.Request) {
	page := appsPage{}
	if r.Method == http.MethodPost {
		// Another site must not register applications (and so reply URLs) here.
		if d.crossOrigin(w, r) {
			return
		}
		if v := r.PostFormValue("certificate"); v != "" {
			d.serveCertificateAction(w, r, v)
			return
		}
		if v := r.PostFormValue("signing"); v != "" {
			switch v {
			case "assertion":
				d.SetSigning(SignAssertion)
			case "response":
				d.SetSigning(SignResponse)
			case "both":
				d.SetSigning(SignResponseAndAssertion)
			default:
				http.Error(w, "unknown signing option", http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, d.path("/apps"), http.StatusSeeOther)
			return
		}
		page.EntityID = strings.TrimSpace(r.PostFormValue("entity_id"))
		page.ReplyURL = strings.TrimSpace(r.PostFormValue("reply_url"))
		page.AppLogoutURL = strings.TrimSpace(r.PostFormValue("logout_url"))
		switch {
		case page.EntityID == "":
			page.Error = "Identifier (Entity ID) is required."
		case page.ReplyURL == "":
			page.Error = "Reply URL (Assertion Consumer Service URL) is required."
		case !strings.HasPrefix(page.ReplyURL, "https://") && !strings.HasPrefix(page.ReplyURL, "http://"):
			page.Error = "Reply URL must be an http or https URL."
		case page.AppLogoutURL != "" && !strings.HasPrefix(page.AppLogoutURL, "https://") && !strings.HasPrefix(page.AppLogoutURL, "http://"):
			page.Error = "Logout Url must be an http or https URL."
		default:
			d.RegisterSP(page.EntityID, page.ReplyURL)
			d.SetLogoutURL(page.EntityID, page.AppLogoutURL)
			http.Redirect(w, r, d.path("/apps"), http.StatusSeeOther)
			return
		}
	}
	for _, a := range d.Apps() {
		page.Apps = append(page.Apps, appRow{App: a, AppID: AppID(a.EntityID), MetadataURL: d.appMetadataURL(a.EntityID)})
	}
	page.Certificates = d.certificateRows()
	page.LoginURL = d.LoginURL()
	page.Identifier = d.EntityID()
	page.MetadataURL = d.MetadataURL()
	page.CertificateURL = d.path("/certificate")
	page.CertificatePEM = d.CertificatePEM()
	page.Signing = d.Signing()
	page.Options = signingOptions
	d.render(w, http.StatusOK, "apps", page)
}

// withoutQuerySignature drops an HTTP-Redirect signature (Signature and SigAlg) from r.
// Entra does not check AuthnRequest signatures unless an application has "Require
// verification certificates" on, which the demo does not offer; crewjam would refuse a
// signed request from an application registered without a certificate.
func withoutQuerySignature(r *http.Request) *http.Request {
	if r.Method != http.MethodGet || !strings.Contains(r.URL.RawQuery, "Signature=") {
		return r
	}
	var kept []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if strings.HasPrefix(part, "Signature=") || strings.HasPrefix(part, "SigAlg=") {
			continue
		}
		kept = append(kept, part)
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = strings.Join(kept, "&")
	return r2
}

// appMetadataURL is the App Federation Metadata Url the apps page shows: on the TLS
// metadata server when one runs, as an SP's metadata fetcher needs https.
func (d *IdP) appMetadataURL(entityID string) string {
	if s := d.metaTLS.Load(); s != nil {
		return s.AppFederationMetadataURL(entityID)
	}
	return d.AppFederationMetadataURL(entityID)
}
