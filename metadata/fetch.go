package metadata

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Kinds of fetch failure, for errors.Is.
var (
	// ErrUnsafeURL means a metadata URL, or a redirect it led to, was refused before
	// anything was sent: not https, a host outside Fetcher.AllowedHosts, an address that
	// is not a public unicast one (loopback, private, link-local, the cloud metadata
	// service 169.254.169.254, …), or too many redirects.
	ErrUnsafeURL = errors.New("metadata: metadata URL refused")
	// ErrFetch means the metadata could not be fetched: the server did not answer, timed
	// out, answered with an error status, or sent more than Fetcher.MaxSize bytes.
	ErrFetch = errors.New("metadata: metadata URL fetch failed")
)

// Fetcher defaults.
const (
	maxDialAddrs = 8

	DefaultFetchTimeout = 15 * time.Second
	DefaultMaxRedirects = 3
)

// Fetcher fetches IdP metadata from URLs that customers type, as a multi-tenant service
// must: a URL is an instruction from outside to make a request from inside the
// service's network, so every request is held to these rules:
//
//   - https only, on every hop, with the system's certificate authorities and TLS 1.2+;
//   - the IP address is checked when the connection is dialed (net.Dialer.Control), not
//     when the name is looked up, so a name that resolves to a public address for a
//     check and to 127.0.0.1 for the connection (DNS rebinding) is still refused. Only
//     public unicast addresses pass: never loopback, private (10/8, 172.16/12,
//     192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata service
//     169.254.169.254, fe80::/10), CGNAT 100.64/10, multicast, unspecified, or
//     documentation and benchmark ranges; IPv4-mapped IPv6 is judged as the IPv4 it
//     carries;
//   - every redirect hop is checked the same way, at most MaxRedirects of them;
//   - one timeout for the whole exchange, a size cap on the body, no cookies, no proxy
//     from the environment (HTTPS_PROXY would move the request out of these rules),
//     no credentials;
//   - optionally, only the hosts in AllowedHosts.
//
// The zero Fetcher is ready to use. A Fetcher is safe for concurrent use and should be
// reused: it keeps connections alive. Set its fields before its first Fetch.
type Fetcher struct {
	// AllowedHosts, when not empty, are the only host names fetched, on the first
	// request and on every redirect: exact names ("login.microsoftonline.com") or, with
	// a leading dot, a domain and its subdomains (".example.com"). Case does not matter.
	// Empty allows any host whose address is public.
	AllowedHosts []string

	// Timeout bounds one fetch, redirects included. Zero means DefaultFetchTimeout.
	Timeout time.Duration

	// MaxSize bounds the body in bytes. Zero means MaxMetadataSize, which is also what
	// ParseIdP reads.
	MaxSize int64

	// MaxRedirects bounds the redirects followed. Zero means DefaultMaxRedirects;
	// negative follows none.
	MaxRedirects int

	// Test seams, never set outside this package's tests: lookup replaces DNS, permit
	// replaces the address rule (publicAddress), roots replaces the system roots.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	permit func(netip.Addr) error
	roots  *x509.CertPool

	once   sync.Once
	client *http.Client
}

// Validators are the values a conditional GET sends back to the server: the ETag and
// Last-Modified headers of the copy the caller holds.
type Validators struct {
	ETag         string
	LastModified string
}

// Fetched is the answer to one fetch.
type Fetched struct {
	// Body is the document; nil when NotModified.
	Body []byte
	// NotModified reports a 304 answer to a conditional GET: the copy the caller holds
	// is current.
	NotModified bool
	// Validators to send with the next fetch (those of the request when the server
	// sent none on a 304).
	Validators Validators
	// URL is where the document came from after redirects.
	URL string
	// MaxAge is the Cache-Control max-age the server sent, zero if none.
	MaxAge time.Duration
}

// Fetch GETs rawURL under the Fetcher's rules. With validators from an earlier fetch
// it is a conditional GET, and a 304 answer comes back as NotModified. Every error
// wraps ErrUnsafeURL or ErrFetch and is a *Error naming what was refused and why.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, v Validators) (*Fetched, error) {
	u, err := f.CheckURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Kind: ErrFetch, Field: "metadata URL", Found: quoteURL(rawURL), Err: err}
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1")
	req.Header.Set("User-Agent", "ssokit-saml-metadata/1")
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := f.httpClient().Do(req)
	if err != nil {
		var me *Error
		if errors.As(err, &me) {
			return nil, me
		}
		found := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			found = fmt.Sprintf("no complete answer within %v", f.timeout())
		}
		return nil, &Error{Kind: ErrFetch, Field: "metadata URL " + quoteURL(rawURL), Found: found,
			Hint: "check that the URL opens in a browser; the identity provider may be down"}
	}
	defer resp.Body.Close()
	out := &Fetched{URL: resp.Request.URL.String(), MaxAge: maxAge(resp.Header.Get("Cache-Control")),
		Validators: Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}}
	switch {
	case resp.StatusCode == http.StatusNotModified && (v.ETag != "" || v.LastModified != ""):
		if out.Validators == (Validators{}) {
			out.Validators = v
		}
		out.NotModified = true
		return out, nil
	case resp.StatusCode != http.StatusOK:
		return nil, &Error{Kind: ErrFetch, Field: "metadata URL " + quoteURL(out.URL), Found: "HTTP status " + resp.Status,
			Expected: "200 OK", Hint: "the URL does not serve the metadata; copy it again from the identity provider (Entra: Single sign-on → SAML Certificates → App Federation Metadata Url)"}
	}
	limit := f.maxSize()
	if resp.ContentLength > limit {
		return nil, tooLarge(out.URL, strconv.FormatInt(resp.ContentLength, 10)+" bytes announced", limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &Error{Kind: ErrFetch, Field: "metadata URL " + quoteURL(out.URL), Found: "a body cut short", Err: err}
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(out.URL, "more than "+strconv.FormatInt(limit, 10)+" bytes", limit)
	}
	out.Body = body
	return out, nil
}

func tooLarge(u, found string, limit int64) *Error {
	return &Error{Kind: ErrFetch, Field: "metadata URL " + quoteURL(u), Found: found,
		Expected: fmt.Sprintf("at most %d bytes of metadata", limit),
		Hint:     "the URL does not look like an IdP's metadata (Entra's is about 20 kB)"}
}

// CheckURL applies the rules that can be judged before a request (https, a host, no
// credentials, the allow-list) and returns the parsed URL. Addresses are judged only at
// dial time. Admin forms can call it to reject a URL as soon as it is typed.
func (f *Fetcher) CheckURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" {
		return nil, &Error{Kind: ErrUnsafeURL, Field: "metadata URL", Found: quoteURL(rawURL),
			Expected: "an absolute https:// URL", Hint: "copy the whole metadata URL (Entra: App Federation Metadata Url)"}
	}
	if err := f.checkHop(u); err != nil {
		return nil, err
	}
	return u, nil
}

func (f *Fetcher) checkHop(u *url.URL) error {
	if u.Scheme != "https" {
		return &Error{Kind: ErrUnsafeURL, Field: "metadata URL", Found: quoteURL(u.String()) + " (" + orNone(u.Scheme) + ")",
			Expected: "https", Hint: "metadata decides whom to trust; fetch it only over https"}
	}
	if u.User != nil {
		return &Error{Kind: ErrUnsafeURL, Field: "metadata URL", Found: "a URL with a user name or password",
			Expected: "no credentials in the URL"}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return &Error{Kind: ErrUnsafeURL, Field: "metadata URL", Found: quoteURL(u.String()), Expected: "a host name"}
	}
	if len(f.AllowedHosts) > 0 && !f.hostAllowed(host) {
		return &Error{Kind: ErrUnsafeURL, Field: "metadata URL host", Found: fmt.Sprintf("%q", host),
			Expected: "one of " + strings.Join(f.AllowedHosts, ", "), Hint: "this service fetches metadata only from those hosts"}
	}
	return nil
}

func (f *Fetcher) hostAllowed(host string) bool {
	for _, a := range f.AllowedHosts {
		a = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(a), "."))
		if strings.HasPrefix(a, ".") {
			if host == a[1:] || strings.HasSuffix(host, a) {
				return true
			}
		} else if host == a {
			return true
		}
	}
	return false
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return DefaultFetchTimeout
}

func (f *Fetcher) maxSize() int64 {
	if f.MaxSize > 0 {
		return f.MaxSize
	}
	return MaxMetadataSize
}

func (f *Fetcher) maxRedirects() int {
	switch {
	case f.MaxRedirects < 0:
		return 0
	case f.MaxRedirects == 0:
		return DefaultMaxRedirects
	}
	return f.MaxRedirects
}

func (f *Fetcher) httpClient() *http.Client {
	f.once.Do(func() {
		tr := &http.Transport{
			Proxy:                  nil, // never HTTP(S)_PROXY: a proxy would dial for us, outside the address rule
			DialContext:            f.dial,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: f.roots},
			TLSHandshakeTimeout:    f.timeout(),
			ResponseHeaderTimeout:  f.timeout(),
			MaxResponseHeaderBytes: 64 << 10,
			MaxIdleConns:           16,
			IdleConnTimeout:        90 * time.Second,
			ForceAttemptHTTP2:      true,
		}
		f.client = &http.Client{
			Transport: tr,
			Jar:       nil, // no cookies, ever
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > f.maxRedirects() {
					return &Error{Kind: ErrUnsafeURL, Field: "metadata URL", Found: fmt.Sprintf("more than %d redirects (last to %s)", f.maxRedirects(), quoteURL(req.URL.String())),
						Expected: fmt.Sprintf("at most %d", f.maxRedirects()), Hint: "use the final metadata URL"}
				}
				if err := f.checkHop(req.URL); err != nil {
					e := err.(*Error)
					e.Field = "redirect from " + quoteURL(via[len(via)-1].URL.String()) + ": " + e.Field
					return e
				}
				return nil
			},
		}
	})
	return f.client
}

// dial resolves host and dials its addresses in turn; the address rule runs in the
// dialer's Control hook, on the address the socket is about to connect to.
func (f *Fetcher) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, perr := netip.ParseAddr(host); perr == nil {
		addrs = []netip.Addr{a}
	} else {
		lookup := f.lookup
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		addrs, err = lookup(ctx, host)
		if err != nil {
			return nil, &Error{Kind: ErrFetch, Field: "metadata URL host", Found: fmt.Sprintf("%q does not resolve", host), Err: err}
		}
		if len(addrs) == 0 {
			return nil, &Error{Kind: ErrFetch, Field: "metadata URL host", Found: fmt.Sprintf("%q has no address", host)}
		}
	}
	d := &net.Dialer{Timeout: f.timeout(), Control: func(_, addr string, _ syscall.RawConn) error {
		return f.controlAddr(host, addr)
	}}
	if len(addrs) > maxDialAddrs {
		addrs = addrs[:maxDialAddrs] // a name with a thousand addresses gets no thousand dials
	}
	var first error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		var me *Error
		if errors.As(err, &me) {
			err = me
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// controlAddr is the dial-time rule: addr is the "ip:port" being connected to.
func (f *Fetcher) controlAddr(host, addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return &Error{Kind: ErrUnsafeURL, Field: "metadata URL address", Found: fmt.Sprintf("%q", addr), Expected: "an IP address and port"}
	}
	permit := f.permit
	if permit == nil {
		permit = publicAddress
	}
	if err := permit(ap.Addr()); err != nil {
		found := ap.Addr().String()
		if host != ap.Addr().String() {
			found = fmt.Sprintf("%q resolves to %s", host, ap.Addr())
		}
		return &Error{Kind: ErrUnsafeURL, Field: "metadata URL address", Found: found + ", " + err.Error(),
			Expected: "a public internet address", Hint: "metadata URLs may not point into this service's own network"}
	}
	return nil
}

// Address ranges that are not public unicast, beyond what netip's predicates cover.
var nonPublic = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (shared) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address (it can embed any IPv4 address)"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address (it can embed any IPv4 address)"},
}

var (
	v4compat         = netip.MustParsePrefix("::/96")
	nat64            = netip.MustParsePrefix("64:ff9b::/96")
	instanceMetadata = netip.MustParseAddr("169.254.169.254")
	broadcast        = netip.MustParseAddr("255.255.255.255")
)

// publicAddress is the production address rule: nil for a public unicast address,
// else why not.
func publicAddress(a netip.Addr) error {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	why := ""
	switch {
	case !a.IsValid():
		why = "not an address"
	case a.IsUnspecified():
		why = "the unspecified address"
	case a.IsLoopback():
		why = "a loopback address"
	case a.IsLinkLocalUnicast():
		why = "a link-local address"
		if a == instanceMetadata {
			why = "the cloud instance metadata service"
		}
	case a.IsPrivate():
		why = "a private address"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		why = "a multicast address"
	case a == broadcast:
		why = "the broadcast address"
	}
	if why == "" && a.Is6() && v4compat.Contains(a) {
		why = "an IPv4-compatible IPv6 address"
	}
	if why == "" && nat64.Contains(a) {
		// NAT64 embeds an IPv4 address: judge that one.
		b := a.As16()
		if err := publicAddress(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); err != nil {
			why = "a NAT64 address of " + err.Error()
		}
	}
	for _, r := range nonPublic {
		if why == "" && r.prefix.Contains(a) {
			why = r.why
		}
	}
	if why != "" {
		return errors.New(why)
	}
	return nil
}

func maxAge(cacheControl string) time.Duration {
	for _, part := range strings.Split(cacheControl, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "max-age") {
			if n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64); err == nil && n > 0 && n < 1<<31 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

func quoteURL(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}

func orNone(s string) string {
	if s == "" {
		return "no scheme"
	}
	return s
}

// FetchIdP fetches rawURL once and reads the IdP from it, for a settings form that
// previews what a pasted metadata URL (Entra: App Federation Metadata Url) would
// trust before saving it; keep it current afterwards with a Remote. entityID and
// trusted are as for ParseSignedIdP; with no trusted certificates the document is
// trusted as TLS delivered it.
func (f *Fetcher) FetchIdP(ctx context.Context, rawURL, entityID string, trusted ...*x509.Certificate) (*IdP, error) {
	got, err := f.Fetch(ctx, rawURL, Validators{})
	if err != nil {
		return nil, err
	}
	if len(trusted) > 0 {
		return ParseSignedIdP(got.Body, entityID, trusted...)
	}
	return ParseIdPEntity(got.Body, entityID)
}
