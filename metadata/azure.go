package metadata

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/ssokit/saml/certs"
)

// entraIssuers maps each Entra cloud's Login URL host to the scheme and host of the issuer
// ("Microsoft Entra Identifier") it writes into SAML tokens; the tenant GUID and "/" follow.
//
//   - Global: Login URL login.microsoftonline.com, issuer https://sts.windows.net/<tid>/
//     (learn.microsoft.com single-sign-on-saml-protocol; the recorded responses).
//   - China (21Vianet): login.partner.microsoftonline.cn, formerly login.chinacloudapi.cn;
//     issuer https://sts.chinacloudapi.cn/<tid>/ (docs.azure.cn's SAML sign-out sample).
//   - US Government: login.microsoftonline.us. Entra's SAML issuer is its v1 token
//     issuer in the other clouds, and the v1 issuer host of US Government tenants is
//     reported as sts.windows.net (Microsoft Q&A 1190472); no recorded US Government
//     token confirms it. A wrong guess fails safe (the Issuer check rejects every
//     response, naming both values); prefer ParseIdP with the tenant's federation
//     metadata for that cloud, whose entityID is the issuer.
var entraIssuers = map[string]string{
	"login.microsoftonline.com":        "https://sts.windows.net",      // global
	"login.microsoftonline.us":         "https://sts.windows.net",      // US Government
	"login.partner.microsoftonline.cn": "https://sts.chinacloudapi.cn", // China (21Vianet)
	"login.chinacloudapi.cn":           "https://sts.chinacloudapi.cn", // China, former host
}

var tenantGUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

const loginURLExpected = "Entra's Login URL, e.g. https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/saml2 (the GUID is your tenant ID)"

// FromAzure builds the IdP from the two values Entra's "Set up <application>" and
// "SAML Certificates" sections show: the Login URL and the "Certificate (Base64)" as
// pasted (any form certs.Parse reads; several certificates during a rollover). A pasted
// chain is refused (certs.CheckSigning): only the signing certificate may be trusted.
//
// The entity ID is derived from the tenant ID in the Login URL: it is the "Microsoft
// Entra Identifier" Entra shows beside it, so the admin pastes two values, not three.
// The URL must carry the tenant ID GUID: a domain name (contoso.onmicrosoft.com) would
// address the same tenant but cannot give the issuer Entra writes into tokens, so it is
// rejected rather than guessed. Tenants that append the application ID to the issuer,
// or that use the multi-instance form …/saml2/<app>, need ParseIdP with their
// federation metadata.
func FromAzure(loginURL, certificate string) (*IdP, error) {
	ssoURL, entityID, err := parseLoginURL(loginURL)
	if err != nil {
		return nil, err
	}
	cs, err := certs.ParseSigning([]byte(certificate))
	if err != nil {
		return nil, &Error{Kind: ErrCertificate, Field: FieldCertificate, Err: err} // certs says what was pasted and what to paste
	}
	return &IdP{
		EntityID:             entityID,
		SSOURL:               ssoURL,
		SSOBinding:           BindingHTTPRedirect,
		SLOURL:               ssoURL,              // Entra: "Login URL and Logout URL values both resolve to the same endpoint"
		SLOBinding:           BindingHTTPRedirect, // Entra's only SLO binding
		LogoutResponseIssuer: entraLogoutIssuer(ssoURL, entityID),
		Certificates:         cs,
	}, nil
}

func loginURLErr(found, hint string) error {
	return &Error{Kind: ErrLoginURL, Field: FieldSSOURL, Found: found, Expected: loginURLExpected, Hint: hint}
}

// entraLogoutIssuer is the Issuer Entra writes into LogoutResponses: the Login URL's
// scheme, host and tenant, https://login.microsoftonline.com/<tenant-id>/ (Microsoft's
// Single Sign-Out SAML Protocol page). "" when sloURL and entityID are not Entra's.
func entraLogoutIssuer(sloURL, entityID string) string {
	u, err := url.Parse(sloURL)
	if err != nil || u.Scheme != "https" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	issuer, ok := entraIssuers[host]
	if !ok {
		return ""
	}
	tid, ok := strings.CutPrefix(entityID, issuer+"/")
	tid, _ = strings.CutSuffix(tid, "/")
	if !ok || !tenantGUID.MatchString(tid) || !strings.HasPrefix(strings.ToLower(strings.TrimPrefix(u.Path, "/")), strings.ToLower(tid)+"/") {
		return ""
	}
	return "https://" + host + "/" + strings.ToLower(tid) + "/"
}

// parseLoginURL returns the normalized SSO URL and the entity ID (issuer) it implies.
func parseLoginURL(raw string) (ssoURL, entityID string, err error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", "", loginURLErr("nothing (empty)", `copy "Login URL" from the application's "Single sign-on" page in Entra`)
	}
	u, perr := url.Parse(s)
	if perr != nil || u.Host == "" {
		return "", "", loginURLErr(fmt.Sprintf("%q, which is not an absolute URL", s), "")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if err := misplacedEntraURL(s, u); err != nil {
		return "", "", err
	}
	issuer, ok := entraIssuers[host]
	if !ok {
		return "", "", loginURLErr(fmt.Sprintf("host %q, which is not an Entra ID sign-in host", u.Host),
			"for an IdP other than Entra, upload its federation metadata XML (or give its metadata URL) instead")
	}
	if u.Scheme != "https" || u.User != nil || u.Port() != "" {
		return "", "", loginURLErr(fmt.Sprintf("%q", s), "use https and no user or port, exactly as Entra shows it")
	}
	if err := federationMetadataURL(s, u); err != nil {
		return "", "", err // before the query check: the App Federation Metadata URL has ?appid=
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", loginURLErr(fmt.Sprintf("%q with a query or fragment", s),
			"this looks like a sign-in redirect someone copied from the browser; copy the Login URL from Entra instead")
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	tenant := parts[0]
	switch {
	case tenant == "":
		return "", "", loginURLErr(fmt.Sprintf("%q without a tenant", s), "")
	case len(parts) != 2 || !strings.EqualFold(parts[1], "saml2"):
		if len(parts) == 3 && strings.EqualFold(parts[1], "saml2") {
			return "", "", loginURLErr(fmt.Sprintf("the multi-instance form %q", s),
				"its issuer depends on the application's settings; upload the application's Federation Metadata XML (Single sign-on → SAML Certificates) instead")
		}
		return "", "", loginURLErr(fmt.Sprintf("path %q, which is not the SAML endpoint", u.Path),
			"WS-Federation, OAuth and OpenID Connect endpoints are not SAML; copy the Login URL from the Single sign-on page")
	}
	switch lower := strings.ToLower(tenant); {
	case lower == "common" || lower == "organizations" || lower == "consumers":
		return "", "", loginURLErr(fmt.Sprintf("the multi-tenant endpoint %q", tenant),
			"SAML sign-in is per tenant; copy the Login URL of your tenant's application")
	case strings.Contains(tenant, "."):
		return "", "", loginURLErr(fmt.Sprintf("the tenant as a domain name (%q)", tenant),
			"Entra's issuer uses the tenant ID GUID, so it cannot be derived from a domain: copy the Login URL exactly as Entra shows it (with the GUID), or upload the application's Federation Metadata XML")
	case !tenantGUID.MatchString(tenant):
		return "", "", loginURLErr(fmt.Sprintf("tenant %q, which is not a tenant ID GUID", tenant), "")
	}
	tid := strings.ToLower(tenant)
	return "https://" + host + "/" + tid + "/saml2", issuer + "/" + tid + "/", nil
}
