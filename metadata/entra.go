package metadata

import (
	"fmt"
	"net/url"
	"strings"
)

// What Entra admins paste by mistake into a Login URL or entity ID field, recognised so
// every app gives the same precise message instead of "not an Entra sign-in host".

// stsLoginHosts maps each Entra issuer host to the Login URL host of its cloud.
var stsLoginHosts = map[string]string{
	"sts.windows.net":      "login.microsoftonline.com",
	"sts.chinacloudapi.cn": "login.partner.microsoftonline.cn",
}

// myAppsHosts serve Entra's end-user portal; its "User access URL" starts IdP-initiated
// sign-in and is shown on the application's Properties page.
var myAppsHosts = []string{"myapps.microsoft.com", "myapplications.microsoft.com", "account.activedirectory.windowsazure.com"}

// portalHosts serve the admin portals an address may be copied from.
var portalHosts = []string{"portal.azure.com", "entra.microsoft.com", "aad.portal.azure.com", "portal.azure.us", "portal.azure.cn"}

// LooksLikeEntra reports whether s is an address on a Microsoft Entra host (sign-in,
// issuer, My Apps, admin portal), so an app can send it to FromAzure, whose messages are
// Entra's, rather than to NewIdP.
func LooksLikeEntra(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if _, ok := entraIssuers[h]; ok {
		return true
	}
	if _, ok := stsLoginHosts[h]; ok {
		return true
	}
	return hostIn(h, myAppsHosts) || hostIn(h, portalHosts)
}

// hostIn reports whether h is one of hosts or a subdomain of one.
func hostIn(h string, hosts []string) bool {
	for _, x := range hosts {
		if h == x || strings.HasSuffix(h, "."+x) {
			return true
		}
	}
	return false
}

// loginURLFor is the Login URL of tenant tid in the cloud of login host, or "" when tid
// is not a tenant ID GUID.
func loginURLFor(host, tid string) string {
	if !tenantGUID.MatchString(tid) {
		return ""
	}
	return "https://" + host + "/" + strings.ToLower(tid) + "/saml2"
}

func pasteLoginURL(loginURL string) string {
	hint := `paste "Login URL" from section 4 ("Set up …") of the application's Single sign-on page in Entra`
	if loginURL != "" {
		hint += ": " + loginURL
	}
	return hint
}

// misplacedEntraURL recognises the Entra addresses that are not a Login URL: the Entra
// Identifier (issuer), My Apps and admin portal addresses. nil for anything else.
func misplacedEntraURL(s string, u *url.URL) error {
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if login, ok := stsLoginHosts[h]; ok {
		tid := strings.Trim(u.Path, "/")
		return loginURLErr(fmt.Sprintf(`%q, which is the "Microsoft Entra Identifier" (the issuer), not the Login URL`, s),
			pasteLoginURL(loginURLFor(login, tid)))
	}
	switch {
	case hostIn(h, myAppsHosts):
		return loginURLErr(fmt.Sprintf(`%q, which is the My Apps "User access URL" (it starts sign-in from My Apps)`, s), pasteLoginURL(""))
	case hostIn(h, portalHosts):
		return loginURLErr(fmt.Sprintf("%q, which is an address of the admin portal", s), pasteLoginURL(""))
	}
	return nil
}

// federationMetadataURL recognises Entra's federation metadata URLs on a sign-in host:
// the tenant's (…/federationmetadata/2007-06/federationmetadata.xml) and the
// application's "App Federation Metadata Url" (the same with ?appid=<application id>),
// which the SAML Certificates section shows and which is not a redirect copied from the
// browser. nil for anything else.
func federationMetadataURL(s string, u *url.URL) error {
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || !strings.EqualFold(parts[1], "federationmetadata") {
		return nil
	}
	login := loginURLFor(strings.ToLower(u.Hostname()), parts[0])
	if u.Query().Get("appid") != "" {
		hint := "it is the address of this application's metadata, not of its sign-in: give it to the app as the IdP metadata URL, where one is offered (the certificates then stay current), or download the file (Federation Metadata XML) and upload it"
		if login != "" {
			hint += "; the Login URL to paste here is " + login
		}
		return loginURLErr(fmt.Sprintf("the App Federation Metadata URL %q", s), hint)
	}
	hint := "download that document and upload it as the IdP's federation metadata XML, or " + pasteLoginURL(login)
	return loginURLErr("the federation metadata URL", hint)
}
