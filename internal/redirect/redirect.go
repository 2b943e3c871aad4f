// Package redirect is the SAML HTTP-Redirect binding (SAML bindings §3.4) shared by every
// message the SP sends or receives in a URL: AuthnRequests, LogoutRequests and
// LogoutResponses. It DEFLATEs and base64-encodes outgoing messages, signs the query, and
// on the way in reads the raw query as received, inflates under a bound, and verifies the
// query signature over the octets exactly as they arrived.
//
// The signed octets are rebuilt from the raw, still percent-encoded values in the
// binding's order (SAMLRequest or SAMLResponse, RelayState when present, SigAlg), never
// from decoded and re-encoded values: Microsoft's stacks percent-encode in lower case and
// send the parameters in another order, and re-encoding would change the octets.
package redirect

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
)

// Query-string signature algorithms (SAML bindings §3.4.4.1, XML-DSig URIs).
const (
	RSASHA1   = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	RSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	RSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	RSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
)

// Parameter names.
const (
	SAMLRequest  = "SAMLRequest"
	SAMLResponse = "SAMLResponse"
)

// Limits bound what Parse and Inflate accept. Both must be positive.
type Limits struct {
	// MaxQuery is the most bytes of raw query string read. Browsers and servers cap URLs
	// at a few to some tens of kilobytes; a LogoutRequest is well under one.
	MaxQuery int
	// MaxInflated is the most bytes the DEFLATE-compressed message may inflate to. DEFLATE
	// expands up to about 1,000 times, so this, not MaxQuery, bounds the XML parsed next.
	MaxInflated int
}

// DefaultLimits are sized for SAML protocol messages in a URL.
var DefaultLimits = Limits{MaxQuery: 32 << 10, MaxInflated: 64 << 10}

// Kinds of failure, for errors.Is.
var (
	// ErrMalformed: the query or the message in it cannot be read.
	ErrMalformed = errors.New("redirect binding: malformed")
	// ErrSignature: the query signature is missing, uses a disallowed algorithm, or no
	// trusted certificate verifies it.
	ErrSignature = errors.New("redirect binding: signature")
)

// Error carries the detail; Kind is ErrMalformed or ErrSignature.
type Error struct {
	Kind   error
	Reason string
}

func (e *Error) Error() string { return e.Reason }
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// deflaters reuses DEFLATE writers: each holds most of a megabyte of tables, far more
// than the message it compresses.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestCompression) // the level is valid
	return w
}}

// Encode returns base64(DEFLATE(xml)), the value of SAMLRequest or SAMLResponse.
func Encode(xml []byte) (string, error) {
	var buf bytes.Buffer
	fw := deflaters.Get().(*flate.Writer)
	fw.Reset(&buf)
	_, err := fw.Write(xml)
	if err == nil {
		err = fw.Close()
	}
	deflaters.Put(fw)
	if err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// Inflate decodes a SAMLRequest or SAMLResponse value (base64; line breaks tolerated,
// and spaces read as the '+' a sloppy encoder left unescaped) and inflates it, refusing output longer than maxInflated and data after the end of the
// DEFLATE stream. Its cost is linear in min(input × 1032, maxInflated).
func Inflate(value string, maxInflated int) ([]byte, error) {
	value = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t':
			return -1
		case ' ':
			return '+'
		}
		return r
	}, value)
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, fail(ErrMalformed, "the message is not base64: %v", err)
	}
	if len(raw) == 0 {
		return nil, fail(ErrMalformed, "the message is empty")
	}
	src := bytes.NewReader(raw) // an io.ByteReader: flate reads no further than its stream
	fr := flate.NewReader(src)
	defer fr.Close()
	out, err := io.ReadAll(io.LimitReader(fr, int64(maxInflated)+1))
	if err != nil {
		return nil, fail(ErrMalformed, "the message is not DEFLATE-compressed as the HTTP-Redirect binding requires: %v", err)
	}
	if len(out) > maxInflated {
		return nil, fail(ErrMalformed, "the message inflates to more than %d bytes", maxInflated)
	}
	if src.Len() != 0 {
		return nil, fail(ErrMalformed, "%d bytes follow the compressed message", src.Len())
	}
	return out, nil
}

// Query builds the query string of an outgoing message: param (SAMLRequest or
// SAMLResponse) with value from Encode, RelayState when not empty, and, when key is not
// nil, SigAlg (RSA-SHA256) and the Signature over exactly the preceding octets.
func Query(param, value, relayState string, key crypto.Signer) (string, error) {
	q := param + "=" + url.QueryEscape(value)
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	if key == nil {
		return q, nil
	}
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return "", fmt.Errorf("query signatures need an RSA key (IdPs accept RSA-SHA256), got a %T", key.Public())
	}
	q += "&SigAlg=" + url.QueryEscape(RSASHA256)
	sum := crypto.SHA256.New()
	sum.Write([]byte(q))
	sig, err := key.Sign(rand.Reader, sum.Sum(nil), crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("sign query: %w", err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// Message is a SAML message received with the HTTP-Redirect binding.
type Message struct {
	Param string // SAMLRequest or SAMLResponse
	// Value is the decoded parameter value (base64 of the DEFLATEd XML): pass to Inflate.
	Value         string
	RelayState    string // decoded; "" when absent
	HasRelayState bool
	SigAlg        string // decoded; "" when the query is unsigned
	Signature     []byte // decoded from base64; nil when the query is unsigned
	signed        string // the octets the signature covers, from the raw values
}

// Signed reports whether the query carries a signature.
func (m *Message) Signed() bool { return m.SigAlg != "" || m.Signature != nil }

// Parse reads a raw query string as received (r.URL.RawQuery, never a re-encoded one).
// It takes exactly one SAMLRequest or SAMLResponse, at most one RelayState, SigAlg and
// Signature, and ignores other parameters (an IdP may add its own). A SigAlg without a
// Signature or the reverse is malformed.
func Parse(rawQuery string, lim Limits) (*Message, error) {
	if len(rawQuery) > lim.MaxQuery {
		return nil, fail(ErrMalformed, "the query string is %d bytes, more than the limit of %d", len(rawQuery), lim.MaxQuery)
	}
	raw := map[string]string{}
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fail(ErrMalformed, "a query parameter name is not percent-encoded correctly")
		}
		switch key {
		case SAMLRequest, SAMLResponse, "RelayState", "SigAlg", "Signature":
		default:
			continue
		}
		if _, dup := raw[key]; dup {
			return nil, fail(ErrMalformed, "the query has %s twice", key)
		}
		raw[key] = v
	}
	m := &Message{}
	_, req := raw[SAMLRequest]
	_, resp := raw[SAMLResponse]
	switch {
	case req && resp:
		return nil, fail(ErrMalformed, "the query has both SAMLRequest and SAMLResponse")
	case req:
		m.Param = SAMLRequest
	case resp:
		m.Param = SAMLResponse
	default:
		return nil, fail(ErrMalformed, "the query has no SAMLRequest or SAMLResponse")
	}
	var err error
	dec := func(key string) string {
		if err != nil {
			return ""
		}
		var s string
		if s, err = url.QueryUnescape(raw[key]); err != nil {
			err = fail(ErrMalformed, "%s is not percent-encoded correctly", key)
		}
		return s
	}
	m.Value = dec(m.Param)
	rs, hasRS := raw["RelayState"]
	m.RelayState, m.HasRelayState = dec("RelayState"), hasRS
	rawAlg, hasAlg := raw["SigAlg"]
	m.SigAlg = dec("SigAlg")
	sig := dec("Signature")
	if err != nil {
		return nil, err
	}
	_, hasSig := raw["Signature"]
	switch {
	case hasAlg != hasSig:
		return nil, fail(ErrMalformed, "the query has SigAlg or Signature without the other")
	case hasSig:
		if m.Signature, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(sig, " ", "+")); err != nil || len(m.Signature) == 0 {
			return nil, fail(ErrMalformed, "Signature is not base64")
		}
		// Bindings §3.4.4.1: the raw values, in this order, RelayState only when present.
		m.signed = m.Param + "=" + raw[m.Param]
		if hasRS {
			m.signed += "&RelayState=" + rs
		}
		m.signed += "&SigAlg=" + rawAlg
	}
	return m, nil
}

// Verify checks the query signature with each trusted certificate's key alone and
// returns the one that verifies. Only RSA-SHA256/384/512 are accepted, and RSA-SHA1 when
// allowSHA1 is set. Any key a message names is ignored: only trusted keys are tried.
func (m *Message) Verify(trusted []*x509.Certificate, allowSHA1 bool) (*x509.Certificate, error) {
	if !m.Signed() {
		return nil, fail(ErrSignature, "the query is not signed (no SigAlg and Signature)")
	}
	var h crypto.Hash
	switch m.SigAlg {
	case RSASHA256:
		h = crypto.SHA256
	case RSASHA384:
		h = crypto.SHA384
	case RSASHA512:
		h = crypto.SHA512
	case RSASHA1:
		if allowSHA1 {
			h = crypto.SHA1
		}
	}
	if h == 0 {
		return nil, fail(ErrSignature, "SigAlg %q is not allowed (RSA-SHA256, RSA-SHA384 or RSA-SHA512)", m.SigAlg)
	}
	d := h.New()
	d.Write([]byte(m.signed))
	sum := d.Sum(nil)
	for _, c := range trusted {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && rsa.VerifyPKCS1v15(pub, h, sum, m.Signature) == nil {
			return c, nil
		}
	}
	return nil, fail(ErrSignature, "no configured IdP certificate verifies the query signature")
}
