package web

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Logout CSRF: an unsigned LogoutRequest that names the user by NameID alone (an
// e-mail address anyone may know) must not end the session of the browser it arrives
// in. Any site can send the victim's browser to the Logout URL with one (a top-level
// GET carries the SameSite=Lax session cookie), which SignOut's same-origin rule is
// there to prevent. LogoutConfig.RequireSignedRequests documents that an unsigned
// request "ends a session only when its SessionIndex matches".
func TestUnsignedNameIDOnlyLogoutRequestEndsNoBrowserSession(t *testing.T) {
	for _, cookieOnly := range []bool{true, false} {
		t.Run(fmt.Sprint("cookie-only=", cookieOnly), func(t *testing.T) {
			s := newSLOTest(t, cookieOnly, nil)
			c := s.session(entraAssertion(0, time.Time{})) // NameID as the request names it
			forged := entraLogoutRequest("_forged", "adele@contoso.example", "")
			rec := s.logoutGet(idpQuery(t, "SAMLRequest", forged, false), c)
			if sc := cookieNamed(rec, "-session"); sc != nil && sc.MaxAge < 0 {
				t.Error("an unsigned LogoutRequest naming only the NameID deleted the browser's session cookie")
			}
			if !s.works(c) {
				t.Error("an unsigned LogoutRequest naming only the NameID ended the browser's session")
			}
			// Control: the same request signed by the IdP ends it.
			signed := entraLogoutRequest("_signed", "adele@contoso.example", "")
			rec = s.logoutGet(idpQuery(t, "SAMLRequest", signed, true), c)
			if rec.Code != http.StatusFound {
				t.Fatalf("signed: status %d body %s", rec.Code, rec.Body)
			}
			if sc := cookieNamed(rec, "-session"); sc == nil || sc.MaxAge >= 0 {
				t.Error("a signed LogoutRequest for the NameID did not delete the session cookie")
			}
		})
	}
}
