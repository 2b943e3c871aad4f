package orgs_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp/orgs"
)

// BenchmarkMemberSignIn is one IdP-initiated member sign-in through Manager.Handler:
// routing, the cached active SP (no store read inside RefreshInterval), validation, the
// guardrails, the sign-in log write and OnLogin. Compare with sp/web's ACS benchmarks
// for what the per-org layer costs.
func BenchmarkMemberSignIn(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchSignIn(b, orgs.NewMemoryStore()) })
	b.Run("SQLite", func(b *testing.B) { benchSignIn(b, sqliteStore(b)) }) // a log write is a transaction on disk
}

func benchSignIn(b *testing.B, store orgs.Store) {
	h := newHarness(b)
	h.store = store
	h.m = h.manager(store, 0)
	h.enabledOrg("acme", samltest.DefaultIdP())
	idp := samltest.DefaultIdP()
	bodies := make([]string, b.N)
	for i := range bodies {
		xml := idp.MustResponse(b, samltest.Options{Unsolicited: true, AssertionID: samltest.ID(fmt.Sprint("bench-", i))})
		bodies[i] = url.Values{"SAMLResponse": {samltest.Encode(xml)}}.Encode()
	}
	handler := h.m.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := httptest.NewRequest("POST", base+"/organizations/acme/saml/consume", strings.NewReader(bodies[i]))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			b.Fatalf("sign-in %d: %d", i, w.Code)
		}
	}
	b.StopTimer()
	if l := signIns(b, h.store, "acme"); len(l) == 0 || l[0].Result != orgs.Succeeded {
		b.Fatal("no sign-in logged")
	}
}
