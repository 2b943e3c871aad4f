package metadata

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testServer is a real TLS server on loopback that counts the requests it answers.
type testServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newTestServer(t *testing.T, h http.HandlerFunc) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.Server = newTLS(func(w http.ResponseWriter, r *http.Request) {
		ts.hits.Add(1)
		h(w, r)
	})
	t.Cleanup(ts.Close)
	return ts
}

// newTLS is a TLS server on loopback that does not log handshakes a test refuses.
func newTLS(h http.HandlerFunc) *httptest.Server {
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	return s
}

func (ts *testServer) port() string {
	_, p, _ := net.SplitHostPort(ts.Listener.Addr().String())
	return p
}

// url is the server's address under a host name (the test certificate is valid for
// example.com and *.example.com).
func (ts *testServer) url(host, path string) string {
	return "https://" + net.JoinHostPort(host, ts.port()) + path
}

// allowLoopbackForTest is the test-only address rule: the production rule, except that
// loopback (where the test servers listen) passes. Nothing outside tests sets it.
func allowLoopbackForTest(a netip.Addr) error {
	if a.Unmap().IsLoopback() {
		return nil
	}
	return publicAddress(a)
}

// fakeDNS answers from a table; names it does not know do not resolve.
func fakeDNS(table map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		ip, ok := table[strings.ToLower(host)]
		if !ok {
			return nil, fmt.Errorf("no such host %q", host)
		}
		return []netip.Addr{netip.MustParseAddr(ip)}, nil
	}
}

// testFetcher trusts ts's certificate and resolves names with dns; loopback is allowed
// only when loopback is true.
func testFetcher(ts *testServer, dns map[string]string, loopback bool) *Fetcher {
	f := &Fetcher{lookup: fakeDNS(dns)}
	f.roots = x509.NewCertPool()
	f.roots.AddCert(ts.Certificate())
	if loopback {
		f.permit = allowLoopbackForTest
	}
	return f
}

func wantKind(t *testing.T, err, kind error, mention ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("err = %T %v, want a *metadata.Error", err, err)
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
}

// The control for every refusal below: the same server, reached under the test rule,
// serves the document, with validators for a conditional GET that answers 304.
func TestFetchServesAndRevalidates(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2026 15:04:05 GMT")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fmt.Fprint(w, "<EntityDescriptor/>")
	})
	f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
	got, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/md"), Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != "<EntityDescriptor/>" || got.NotModified || got.Validators.ETag != `"v1"` || got.MaxAge != time.Hour {
		t.Fatalf("got %+v", got)
	}
	again, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/md"), got.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if !again.NotModified || again.Body != nil || again.Validators != got.Validators {
		t.Fatalf("conditional GET: %+v, want NotModified with the same validators", again)
	}
}

// DNS rebinding: a public-looking name whose answer is loopback is refused when the
// connection is dialed, before any request reaches the server.
func TestFetchRefusesNameResolvingToLoopback(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	for _, ip := range []string{"127.0.0.1", "::ffff:127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			// The server does listen there: with loopback allowed, the fetch works.
			ok := testFetcher(ts, map[string]string{"idp.example.com": ip}, true)
			if ip != "::1" { // the test server listens on IPv4 only
				if _, err := ok.Fetch(context.Background(), ts.url("idp.example.com", "/"), Validators{}); err != nil {
					t.Fatalf("control: %v", err)
				}
			}
			before := ts.hits.Load()
			f := testFetcher(ts, map[string]string{"idp.example.com": ip}, false)
			_, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/"), Validators{})
			wantKind(t, err, ErrUnsafeURL, "idp.example.com", "loopback")
			if ts.hits.Load() != before {
				t.Error("the server was reached")
			}
		})
	}
}

// The answer that counts is the one being dialed: a resolver that answers a public
// address first and loopback on the next lookup (a rebinding DNS server) does not get
// the second connection through, even though the first lookup looked harmless.
func TestFetchChecksEveryDialNotTheFirstLookup(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	var lookups atomic.Int32
	f := testFetcher(ts, nil, false)
	f.lookup = func(context.Context, string) ([]netip.Addr, error) {
		if lookups.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("192.0.2.10")}, nil // documentation range: refused too, never dialed
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	for i := range 2 {
		_, err := f.Fetch(context.Background(), ts.url("rebind.example.com", "/"), Validators{})
		wantKind(t, err, ErrUnsafeURL, "rebind.example.com")
		if i == 1 && !strings.Contains(err.Error(), "loopback") {
			t.Errorf("second fetch: %v, want the loopback answer refused", err)
		}
	}
	if lookups.Load() != 2 || ts.hits.Load() != 0 {
		t.Errorf("lookups %d, hits %d; want 2 lookups and no request", lookups.Load(), ts.hits.Load())
	}
}

// Every redirect hop is held to the rules: a redirect into the private network, to the
// cloud metadata service, to a name that resolves privately, or to http is refused.
func TestFetchRefusesUnsafeRedirects(t *testing.T) {
	for _, tc := range []struct{ to, mention string }{
		{"https://10.1.2.3:8443/md", "private"},
		{"https://169.254.169.254/latest/meta-data/", "cloud instance metadata"},
		{"https://[fd00::1]/md", "private"},
		{"https://internal.example.com/md", "private"},
		{"https://100.64.1.1/md", "carrier-grade NAT"},
		{"http://idp.example.com/md", "https"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/final" {
					fmt.Fprint(w, "ok")
					return
				}
				http.Redirect(w, r, tc.to, http.StatusFound)
			})
			dns := map[string]string{"idp.example.com": "127.0.0.1", "internal.example.com": "10.0.0.7"}
			f := testFetcher(ts, dns, true)
			_, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/start"), Validators{})
			wantKind(t, err, ErrUnsafeURL, tc.mention)
			if ts.hits.Load() != 1 {
				t.Errorf("%d requests, want only the first hop", ts.hits.Load())
			}
		})
	}
	// Control: a redirect that stays within the rules is followed.
	var ts *testServer
	ts = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/final" {
			fmt.Fprint(w, "ok")
			return
		}
		http.Redirect(w, r, ts.url("other.example.com", "/final"), http.StatusFound)
	})
	f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1", "other.example.com": "127.0.0.1"}, true)
	got, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/start"), Validators{})
	if err != nil || string(got.Body) != "ok" || !strings.Contains(got.URL, "other.example.com") {
		t.Fatalf("control redirect: %+v, %v", got, err)
	}
}

func TestFetchHopLimit(t *testing.T) {
	var ts *testServer
	ts = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ts.url("idp.example.com", r.URL.Path+"x"), http.StatusFound)
	})
	f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
	f.MaxRedirects = 2
	_, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/"), Validators{})
	wantKind(t, err, ErrUnsafeURL, "more than 2 redirects")
	if ts.hits.Load() != 3 {
		t.Errorf("%d requests, want 3 (the first and two redirects)", ts.hits.Load())
	}
}

// http:// is refused before anything is sent, even to a server that would answer.
func TestFetchRefusesHTTP(t *testing.T) {
	var hits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer plain.Close()
	f := &Fetcher{permit: allowLoopbackForTest}
	for _, u := range []string{plain.URL + "/md", "ftp://idp.example.com/md", "//idp.example.com/md", "idp.example.com/md", "https://user:pw@idp.example.com/"} {
		_, err := f.Fetch(context.Background(), u, Validators{})
		wantKind(t, err, ErrUnsafeURL)
	}
	if hits.Load() != 0 {
		t.Error("the http server was reached")
	}
}

func TestFetchRefusesOversizedBody(t *testing.T) {
	body := strings.Repeat("x", 1001)
	for _, announce := range []bool{true, false} {
		t.Run(fmt.Sprintf("Content-Length %v", announce), func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if announce {
					w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				} else {
					w.(http.Flusher).Flush() // chunked: the size is known only while reading
				}
				fmt.Fprint(w, body)
			})
			f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
			f.MaxSize = 1000
			_, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/"), Validators{})
			wantKind(t, err, ErrFetch, "at most 1000 bytes")
			// Control: at the limit it is read.
			f2 := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
			f2.MaxSize = 1001
			if _, err := f2.Fetch(context.Background(), ts.url("idp.example.com", "/"), Validators{}); err != nil {
				t.Errorf("control at the limit: %v", err)
			}
		})
	}
}

func TestFetchAllowedHosts(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "https://evil.example.com:"+r.Host[strings.LastIndexByte(r.Host, ':')+1:]+"/", http.StatusFound)
			return
		}
		fmt.Fprint(w, "ok")
	})
	dns := map[string]string{"login.example.com": "127.0.0.1", "idp.example.com": "127.0.0.1", "evil.example.com": "127.0.0.1"}
	f := testFetcher(ts, dns, true)
	f.AllowedHosts = []string{"login.example.com", ".idp.example.com"}
	for _, host := range []string{"login.example.com", "idp.example.com", "LOGIN.example.com"} {
		if _, err := f.Fetch(context.Background(), ts.url(host, "/"), Validators{}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	before := ts.hits.Load()
	_, err := f.Fetch(context.Background(), ts.url("evil.example.com", "/"), Validators{})
	wantKind(t, err, ErrUnsafeURL, "evil.example.com", "login.example.com")
	_, err = f.Fetch(context.Background(), ts.url("login.example.com", "/hop"), Validators{})
	wantKind(t, err, ErrUnsafeURL, "redirect", "evil.example.com")
	if ts.hits.Load() != before+1 {
		t.Errorf("%d requests, want only the allowed first hop", ts.hits.Load()-before)
	}
}

// Neither cookies set by the server nor a proxy from the environment are used.
func TestFetchNoCookiesNoProxy(t *testing.T) {
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { proxied.Add(1) }))
	defer proxy.Close()
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("HTTP_PROXY", proxy.URL)
	var ts *testServer
	ts = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
			http.Redirect(w, r, "/next", http.StatusFound)
			return
		}
		if len(r.Cookies()) != 0 {
			t.Errorf("cookies sent on redirect: %v", r.Cookies())
		}
		fmt.Fprint(w, "ok")
	})
	f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
	for range 2 {
		if _, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/"), Validators{}); err != nil {
			t.Fatal(err)
		}
	}
	if proxied.Load() != 0 {
		t.Error("the proxy from the environment was used")
	}
}

func TestFetchErrorStatusAndTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-release
			return
		}
		http.NotFound(w, r)
	})
	defer close(release)
	f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
	_, err := f.Fetch(context.Background(), ts.url("idp.example.com", "/missing"), Validators{})
	wantKind(t, err, ErrFetch, "404", "App Federation Metadata Url")
	f.Timeout = 50 * time.Millisecond
	_, err = f.Fetch(context.Background(), ts.url("idp.example.com", "/hang"), Validators{})
	wantKind(t, err, ErrFetch, "no complete answer")
	_, err = f.Fetch(context.Background(), ts.url("nowhere.example.com", "/"), Validators{})
	wantKind(t, err, ErrFetch, "does not resolve")
}

// The production address rule, one case per range.
func TestPublicAddress(t *testing.T) {
	for ip, want := range map[string]string{
		"8.8.8.8":                "",
		"20.190.128.1":           "", // login.microsoftonline.com's range
		"2606:4700:4700::1111":   "",
		"127.0.0.1":              "loopback",
		"127.255.0.9":            "loopback",
		"::1":                    "loopback",
		"::ffff:127.0.0.1":       "loopback",
		"::ffff:10.0.0.1":        "private",
		"::ffff:169.254.169.254": "cloud instance metadata",
		"169.254.169.254":        "cloud instance metadata",
		"169.254.1.1":            "link-local",
		"fe80::1":                "link-local",
		"10.0.0.1":               "private",
		"172.16.0.1":             "private",
		"192.168.1.1":            "private",
		"fd12::1":                "private",
		"100.64.0.1":             "carrier-grade NAT",
		"100.127.255.255":        "carrier-grade NAT",
		"224.0.0.1":              "multicast",
		"ff02::1":                "multicast",
		"0.0.0.0":                "unspecified",
		"::":                     "unspecified",
		"0.1.2.3":                "this network",
		"255.255.255.255":        "broadcast",
		"240.0.0.1":              "reserved",
		"192.0.2.1":              "documentation",
		"2001:db8::1":            "documentation",
		"64:ff9b::7f00:1":        "NAT64 address of a loopback",
		"::7f00:1":               "IPv4-compatible",
		"2002:7f00:1::":          "6to4",
	} {
		err := publicAddress(netip.MustParseAddr(ip))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v, want allowed", ip, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want %q", ip, err, want)
		}
	}
}

// The dial-time hook itself refuses by the address it is handed, whatever the name.
func TestControlAddr(t *testing.T) {
	f := &Fetcher{}
	for _, addr := range []string{"127.0.0.1:443", "[::ffff:127.0.0.1]:443", "[::1]:443", "169.254.169.254:80", "[fe80::1%eth0]:443"} {
		if err := f.controlAddr("idp.example.com", addr); !errors.Is(err, ErrUnsafeURL) {
			t.Errorf("%s: %v, want ErrUnsafeURL", addr, err)
		}
	}
	if err := f.controlAddr("idp.example.com", "20.190.128.1:443"); err != nil {
		t.Errorf("public: %v", err)
	}
}

func TestHostAllowed(t *testing.T) {
	f := &Fetcher{AllowedHosts: []string{"login.microsoftonline.com", ".idp.example.com."}}
	for host, want := range map[string]bool{
		"login.microsoftonline.com":         true,
		"idp.example.com":                   true,
		"a.b.idp.example.com":               true,
		"xidp.example.com":                  false,
		"login.microsoftonline.com.evil.io": false,
		"evil.login.microsoftonline.com":    false,
	} {
		if got := f.hostAllowed(host); got != want {
			t.Errorf("%s: %v, want %v", host, got, want)
		}
	}
}

func TestFetchIdP(t *testing.T) {
	c := testSigners(t)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, idpDoc("", c[0].cert))
	})
	f := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, true)
	idp, err := f.FetchIdP(context.Background(), ts.url("idp.example.com", "/md"), "")
	if err != nil || idp.EntityID != "https://idp.example/" || len(idp.Certificates) != 1 {
		t.Fatalf("%+v, %v", idp, err)
	}
	// Pinned metadata signer: the unsigned document is refused.
	if _, err := f.FetchIdP(context.Background(), ts.url("idp.example.com", "/md"), "", c[1].cert); !errors.Is(err, ErrSignature) {
		t.Fatalf("unsigned with a pinned signer: %v", err)
	}
	if _, err := testFetcher(ts, map[string]string{"idp.example.com": "127.0.0.1"}, false).FetchIdP(context.Background(), ts.url("idp.example.com", "/md"), ""); !errors.Is(err, ErrUnsafeURL) {
		t.Fatalf("loopback: %v", err)
	}
}
