package sptest

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Form is the auto-submitting HTML form an IdP answers with (the HTTP-POST binding): what
// the browser posts to the application's Reply URL.
type Form struct {
	Action       string // the Reply URL (ACS)
	SAMLResponse string // base64 Response, as posted
	RelayState   string // "" when there is none
}

// Values are the form's fields.
func (f *Form) Values() url.Values {
	v := url.Values{"SAMLResponse": {f.SAMLResponse}}
	if f.RelayState != "" {
		v.Set("RelayState", f.RelayState)
	}
	return v
}

// Post submits the form with client, as the browser does on load.
func (f *Form) Post(client *http.Client) (*http.Response, error) {
	return client.PostForm(f.Action, f.Values())
}

// maxPage bounds the IdP page ReadForm reads.
const maxPage = 1 << 20

var (
	formActionRE = regexp.MustCompile(`(?is)<form\b[^>]*\baction="([^"]*)"`)
	hiddenRE     = regexp.MustCompile(`(?is)<input\b[^>]*\bname="(SAMLResponse|RelayState)"[^>]*\bvalue="([^"]*)"`)
	aadstsRE     = regexp.MustCompile(`(?s)<p id="aadsts" data-code="([^"]*)">[^:]*: ([^<]*)</p>`)
)

// ReadForm reads the auto-submitting form from an IdP's page: this package's, and pages of
// the same shape (an action attribute, hidden SAMLResponse and RelayState inputs). For this
// IdP's error page it returns the page's *Error.
func ReadForm(page io.Reader) (*Form, error) {
	b, err := io.ReadAll(io.LimitReader(page, maxPage))
	if err != nil {
		return nil, err
	}
	if m := aadstsRE.FindSubmatch(b); m != nil {
		return nil, refusal(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	act := formActionRE.FindSubmatch(b)
	if act == nil {
		return nil, fmt.Errorf("sptest: the page has no form with an action:\n%s", excerpt(b))
	}
	f := &Form{Action: html.UnescapeString(string(act[1]))}
	for _, m := range hiddenRE.FindAllSubmatch(b, -1) {
		v := html.UnescapeString(string(m[2]))
		if string(m[1]) == "SAMLResponse" {
			f.SAMLResponse = v
		} else {
			f.RelayState = v
		}
	}
	if f.SAMLResponse == "" {
		return nil, fmt.Errorf("sptest: the form posts no SAMLResponse:\n%s", excerpt(b))
	}
	return f, nil
}

// SignIn does what a browser does when a user opens startURL and signs in: it gets
// startURL with client (which follows the application's redirect to the IdP, or is the
// IdP itself, e.g. IdPInitiatedURL), reads the IdP's form and posts it to the application.
// It returns the application's answer to that post, after any redirects client follows.
// Give client a cookie jar, as a browser has, when the application tracks the login with
// a cookie. A refusal shown by the IdP is an *Error.
func (idp *IdP) SignIn(client *http.Client, startURL string) (*http.Response, error) {
	resp, err := client.Get(startURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if at := resp.Request.URL.String(); !strings.HasPrefix(at, idp.URL+"/") {
		return nil, fmt.Errorf("sptest: %s did not lead to the IdP at %s: it ended at %s with status %d", startURL, idp.URL, at, resp.StatusCode)
	}
	form, err := ReadForm(resp.Body)
	var refused *Error
	if err != nil && !errors.As(err, &refused) {
		return nil, fmt.Errorf("sptest: the IdP answered %s with status %d: %w", resp.Request.URL, resp.StatusCode, err)
	}
	if err != nil {
		return nil, err
	}
	return form.Post(client)
}

func excerpt(b []byte) string {
	const n = 500
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
