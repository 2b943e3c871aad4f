package web

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ssokit/saml/assertion"
)

// Session is who signed in, as the default session remembers it: the stable identity
// apps key on, the groups and roles they authorize with, and a small payload of the
// app's own. Read it with Handlers.Session or, behind RequireLogin, SessionFrom.
//
// Without a Config.SessionStore the whole session travels in one signed cookie (at most
// 3,900 bytes, which holds Entra's maximum of 150 group IDs); with one, the cookie
// carries only a random session ID and the store holds the rest.
type Session struct {
	// NameID, its Format and Issuer identify the user as the IdP named them. Key
	// accounts on ObjectID and TenantID when the IdP is Entra: a NameID can change.
	NameID       string `json:"n"`
	NameIDFormat string `json:"f,omitempty"`
	// NameQualifier and SPNameQualifier are the NameID's qualifiers as received, for
	// the LogoutRequest of Single Logout.
	NameQualifier   string `json:"nq,omitempty"`
	SPNameQualifier string `json:"sq,omitempty"`
	Issuer          string `json:"i"`
	SessionIndex    string `json:"s,omitempty"`
	ObjectID        string `json:"o,omitempty"` // Entra's objectidentifier claim
	TenantID        string `json:"t,omitempty"` // Entra's tenantid claim
	Email           string `json:"m,omitempty"`
	DisplayName     string `json:"d,omitempty"`

	// Groups are the group claim's values (Entra: group object IDs, or names when so
	// configured). GroupsOverage is true when the IdP left them out because the user
	// is in too many groups (Entra: over 150 in SAML); Groups is then empty and says
	// nothing about membership.
	Groups        []string `json:"g,omitempty"`
	GroupsOverage bool     `json:"go,omitempty"`
	// Roles are the app roles assigned to the user (Entra's role claim values).
	Roles []string `json:"r,omitempty"`

	// Data is the app's own payload, given to StartSession. Keep it small without a
	// SessionStore: it counts against the cookie's size.
	Data map[string]string `json:"a,omitempty"`

	Expires time.Time `json:"e"`
	// Seen is when the session was last used, for Config.IdleTimeout.
	Seen time.Time `json:"l"`

	id string // the SessionStore's key; empty for cookie-only sessions
}

// sessionExpiry is when a session started now from a must end: after
// Config.SessionMaxAge, or earlier when the IdP set SessionNotOnOrAfter.
func (h *Handlers) sessionExpiry(a *assertion.Assertion) time.Time {
	exp := h.now().Add(h.cfg.SessionMaxAge)
	if !a.SessionNotOnOrAfter.IsZero() && a.SessionNotOnOrAfter.Before(exp) {
		exp = a.SessionNotOnOrAfter
	}
	return exp.UTC().Truncate(time.Second)
}

// maxSessionCookie bounds the session cookie's name and value together. Browsers keep
// cookies of up to 4,096 bytes; the rest is left for the attributes.
const maxSessionCookie = 3900

// maxStoredSession bounds one session in a SessionStore.
const maxStoredSession = 64 << 10

// ErrSessionTooLarge is StartSession's error when a session does not fit in a cookie:
// configure a SessionStore, or carry less in Data.
var ErrSessionTooLarge = errors.New("web: session too large for a cookie")

// StartSession starts the default session for a validated assertion, with the app's
// own data (may be nil). The ACS handler calls it unless Config.OnLogin is set; an
// OnLogin hook may call it too. r is the request being answered.
func (h *Handlers) StartSession(w http.ResponseWriter, r *http.Request, a *assertion.Assertion, data map[string]string) (*Session, error) {
	now := h.now().UTC().Truncate(time.Second)
	sess := &Session{
		NameID:          a.NameID.Value,
		NameIDFormat:    a.NameID.Format,
		NameQualifier:   a.NameID.NameQualifier,
		SPNameQualifier: a.NameID.SPNameQualifier,
		Issuer:          a.Issuer,
		SessionIndex:    a.SessionIndex,
		ObjectID:        a.ObjectID(),
		TenantID:        a.TenantID(),
		Email:           a.Email(),
		DisplayName:     a.DisplayName(),
		Roles:           a.Roles(),
		Data:            data,
		Expires:         h.sessionExpiry(a),
		Seen:            now,
	}
	if groups, err := a.Groups(); err != nil {
		sess.GroupsOverage = true
	} else {
		sess.Groups = groups
	}
	if !sess.Expires.After(h.now()) {
		return nil, errors.New("web: the IdP's SessionNotOnOrAfter has already passed; no session started")
	}
	if h.cfg.SessionStore != nil {
		id, err := newSessionID(h.rand)
		if err != nil {
			return nil, err
		}
		sess.id = id
	}
	// A session this browser still holds is over: it must not linger in the store.
	if err := h.endStored(r); err != nil {
		h.logger.WarnContext(r.Context(), "saml: the previous session was not ended", "err", err)
	}
	if err := h.writeSession(w, r.Context(), sess, false); err != nil {
		return nil, err
	}
	if err := h.indexSession(r.Context(), sess); err != nil { // for Single Logout (slo.go)
		return nil, err
	}
	return sess, nil
}

// writeSession saves sess (in the store, if any) and sets its cookie. update refreshes
// a stored session only if it still exists.
func (h *Handlers) writeSession(w http.ResponseWriter, ctx context.Context, sess *Session, update bool) error {
	name := h.sessionCookieName()
	var value string
	if h.cfg.SessionStore == nil {
		raw, err := encodeSession(sess)
		if err != nil {
			return err
		}
		value = h.codec.sealRaw(name, raw)
		if len(name)+len(value) > maxSessionCookie {
			return fmt.Errorf("%w: %d bytes (%d groups, %d roles, %d data entries), over the %d a browser keeps; configure web.Config.SessionStore, "+
				"or in Entra emit fewer group claims (Attributes & Claims → groups: \"Groups assigned to the application\")",
				ErrSessionTooLarge, len(name)+len(value), len(sess.Groups), len(sess.Roles), len(sess.Data), maxSessionCookie)
		}
	} else {
		js, err := json.Marshal(sess)
		if err != nil {
			return err
		}
		if len(js) > maxStoredSession {
			return fmt.Errorf("%w: %d bytes, over the %d-byte limit for a stored session", ErrSessionTooLarge, len(js), maxStoredSession)
		}
		save := h.cfg.SessionStore.Save
		if update {
			save = h.cfg.SessionStore.Update
		}
		if err := save(ctx, sess.id, js, sess.Expires); err != nil {
			return fmt.Errorf("web: save session: %w", err)
		}
		if value, err = h.codec.seal(name, sessionRef{ID: sess.id, Expires: sess.Expires.Unix()}); err != nil {
			return err
		}
	}
	http.SetCookie(w, h.cookie(name, value, sess.Expires, false))
	return nil
}

// sessionRef is the cookie of a stored session.
type sessionRef struct {
	ID      string `json:"i"`
	Expires int64  `json:"e"`
}

// newSessionID is 128 random bits in hex.
func newSessionID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("web: random source failed: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Session returns the session the request's cookie names, or nil when there is none,
// it does not verify, it has expired or been idle too long, or (with a SessionStore) it
// was ended: a copy of the cookie of an ended stored session opens nothing.
func (h *Handlers) Session(r *http.Request) *Session {
	sess, _ := h.readSession(r)
	return sess
}

// readSession is Session, and the reason when there is none (for the log).
func (h *Handlers) readSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(h.sessionCookieName())
	if err != nil {
		return nil, nil
	}
	var sess Session
	if h.cfg.SessionStore == nil {
		raw, err := h.codec.openRaw(c.Name, c.Value)
		if err != nil || decodeSession(raw, &sess) != nil {
			return nil, nil
		}
	} else {
		var ref sessionRef
		if h.codec.open(c.Name, c.Value, &ref) != nil || len(ref.ID) != 32 {
			return nil, nil
		}
		js, err := h.cfg.SessionStore.Load(r.Context(), ref.ID)
		if err != nil {
			if errors.Is(err, ErrNoSession) {
				return nil, nil
			}
			return nil, err
		}
		if json.Unmarshal(js, &sess) != nil {
			return nil, errors.New("web: a stored session does not decode")
		}
		sess.id = ref.ID
	}
	now := h.now()
	if !now.Before(sess.Expires) {
		return nil, nil
	}
	if h.cfg.IdleTimeout > 0 && !now.Before(sess.Seen.Add(h.cfg.IdleTimeout)) {
		return nil, nil
	}
	return &sess, nil
}

// touch records that sess was used now, when that moves Seen enough to matter for
// Config.IdleTimeout (every IdleTimeout/8, at most once a minute): a cookie-only
// session gets a new cookie, a stored one is saved again.
func (h *Handlers) touch(w http.ResponseWriter, r *http.Request, sess *Session) {
	if h.cfg.IdleTimeout <= 0 {
		return
	}
	now := h.now().UTC().Truncate(time.Second)
	if now.Sub(sess.Seen) < min(h.cfg.IdleTimeout/8, time.Minute) {
		return
	}
	sess.Seen = now
	if err := h.writeSession(w, r.Context(), sess, true); err != nil && !errors.Is(err, ErrNoSession) {
		h.logger.WarnContext(r.Context(), "saml: session not refreshed", "err", err)
	}
}

// EndSession ends the default session StartSession began: it deletes the cookie and,
// with a SessionStore, the stored session, so a copy of the cookie no longer works.
// (Without a store, a copy keeps working until it expires: see Config.SessionStore.)
// It does not sign the user out at the IdP. r is the request that carries the session.
func (h *Handlers) EndSession(w http.ResponseWriter, r *http.Request) error {
	h.expire(w, h.sessionCookieName())
	return h.endStored(r)
}

// endStored deletes the stored session r's cookie names, if any.
func (h *Handlers) endStored(r *http.Request) error {
	if h.cfg.SessionStore == nil {
		return nil
	}
	c, err := r.Cookie(h.sessionCookieName())
	if err != nil {
		return nil
	}
	var ref sessionRef
	if h.codec.open(c.Name, c.Value, &ref) != nil {
		return nil
	}
	if err := h.cfg.SessionStore.Delete(r.Context(), ref.ID); err != nil {
		return fmt.Errorf("web: end session: %w", err)
	}
	return nil
}

type sessionKey struct{}

// SessionFrom returns the session RequireLogin put in the request's context.
func SessionFrom(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok
}

// RequireLogin serves next only to a browser with a valid session, which it puts in the
// request context (read it with SessionFrom). Anyone else is sent to the IdP and, once
// signed in, back to the URL they asked for. Requests that cannot be replayed after a
// redirect (anything but GET and HEAD) get 401 instead.
func (h *Handlers) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := h.readSession(r)
		if err != nil {
			h.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("web: the session store cannot answer: %w", err))
			return
		}
		if sess != nil {
			h.touch(w, r, sess)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "sign-in required", http.StatusUnauthorized)
			return
		}
		h.startLogin(w, r, r.URL.RequestURI())
	})
}

// The cookie-only session is one binary frame, base64url'd once by the codec: the
// length of the JSON, the JSON, then the groups that are GUIDs (Entra's group object
// IDs) as 16 bytes each. Text GUIDs cost 36 bytes each before the base64; packed,
// Entra's maximum of 150 groups fits one cookie with room to spare.
func encodeSession(sess *Session) ([]byte, error) {
	wire := *sess
	var packed []byte
	wire.Groups = nil
	for _, g := range sess.Groups {
		if b, ok := parseGUID(g); ok {
			packed = append(packed, b[:]...)
		} else {
			wire.Groups = append(wire.Groups, g)
		}
	}
	js, err := json.Marshal(&wire)
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(len(js)))
	out = append(out, js...)
	return append(out, packed...), nil
}

func decodeSession(raw []byte, sess *Session) error {
	n, k := binary.Uvarint(raw)
	if k <= 0 || n > uint64(len(raw)-k) {
		return errCookieInvalid
	}
	js, packed := raw[k:k+int(n)], raw[k+int(n):]
	if len(packed)%16 != 0 || json.Unmarshal(js, sess) != nil {
		return errCookieInvalid
	}
	for ; len(packed) > 0; packed = packed[16:] {
		sess.Groups = append(sess.Groups, formatGUID(packed[:16]))
	}
	return nil
}

// parseGUID reads a lower-case 8-4-4-4-12 GUID, the form Entra writes. Anything else
// (upper case included) stays text, so a value always reads back exactly as it came.
func parseGUID(s string) (b [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	hexDigits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	for _, c := range hexDigits {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return b, false
		}
	}
	if _, err := hex.Decode(b[:], []byte(hexDigits)); err != nil {
		return b, false
	}
	return b, true
}

func formatGUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
