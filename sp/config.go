package sp

import (
	"log/slog"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

// Config describes one service provider and the one IdP it trusts. Its zero value for
// every optional field is the safe choice; the required fields are EntityID, ACSURL and
// IdP (with its EntityID and at least one certificate).
type Config struct {
	// EntityID is the SP Entity ID: what Entra calls "Identifier (Entity ID)". Every
	// assertion's Audience must contain it. Required.
	EntityID string

	// ACSURL is the Assertion Consumer Service URL: Entra's "Reply URL". Responses must
	// carry it as Destination (when present) and as the bearer Recipient. Required.
	ACSURL string

	// IdP is the identity provider: its EntityID (the Issuer of every response) and the
	// certificates that may sign. Required. KeyInfo in a response is never trusted; only
	// these certificates verify signatures (several at once during a rollover).
	IdP *metadata.IdP

	// AllowIdPInitiated accepts responses that answer no AuthnRequest (Entra's My Apps
	// tiles). False, the default, rejects them with ErrUnsolicited.
	//
	// An unsolicited response is bound to no browser, so anyone holding one of their
	// own can make a victim's browser post it and sign the victim in as themselves
	// (login CSRF). sp/web's handlers refuse to replace a default session
	// (StartSession) of another user this way; an app with sessions of its own must
	// apply the same rule in its web.Config.OnLogin hook.
	// Enable it only when users need to start from the IdP's portal.
	AllowIdPInitiated bool

	// ClockSkew is how far apart the IdP's clock and ours may be. Zero means 180 seconds.
	// Negative is an error.
	ClockSkew time.Duration

	// Now returns the current time. Nil means time.Now.
	Now func() time.Time

	// MaxIssueDelay is how old an assertion's IssueInstant may be (plus ClockSkew) when it
	// arrives; IdPs post the response straight back through the browser. Zero means
	// 5 minutes. An IssueInstant in the future (beyond ClockSkew) is always rejected.
	MaxIssueDelay time.Duration

	// LoginTimeout is how long an AuthnRequest may stay unanswered (the user at the IdP,
	// MFA included). Zero means 15 minutes. A request ID is accepted once: the replay
	// cache holds each answered request ID this long after its answer, so a caller that
	// keeps requests for at most LoginTimeout (sp/web's pending-login cookies do) cannot
	// have one answered twice.
	LoginTimeout time.Duration

	// Key is the SP's own key pair. It decrypts EncryptedAssertions (Entra's "Token
	// encryption"), signs AuthnRequests when SignAuthnRequests is set, and is published in
	// SP metadata. Nil means the SP has no key: encrypted assertions are then rejected.
	Key *certs.KeyPair

	// DecryptionKeys are further SP keys for EncryptedAssertions, so an SP key can be
	// rolled over without failed logins. Nil means only Key. The key used is the one
	// whose certificate the EncryptedKey names (Entra names it), so one RSA operation is
	// done per response; only when it names none of them is each key tried in turn.
	DecryptionKeys []*certs.KeyPair

	// RequireAuthenticatedEncryption accepts only AES-GCM EncryptedAssertions, whose
	// ciphertext cannot be altered unnoticed. False, the default, also accepts AES-CBC,
	// which Entra uses: AES-CBC alone does not authenticate the ciphertext, so with it set
	// Entra's Signing Option to "Sign SAML response and assertion" (SECURITY.md). Set it
	// for an IdP that encrypts with AES-GCM (XML Encryption 1.1).
	RequireAuthenticatedEncryption bool

	// InsecureAllowRSA15KeyTransport accepts an EncryptedKey wrapped with RSA PKCS#1 v1.5
	// (rsa-1_5), which Bleichenbacher's attack can turn into a decryption oracle for the
	// SP's key. False, the default, refuses it before any RSA work; Entra uses RSA-OAEP.
	// When set, the unwrap is done in constant time with a random key on bad padding.
	InsecureAllowRSA15KeyTransport bool

	// RequireSignedAssertion demands that the Assertion itself carry a valid signature
	// (the "Signed Assertions" option; Entra's default "Sign SAML assertion" and "Sign SAML
	// response and assertion"). False accepts an assertion covered by either its own or
	// the Response's signature; an unsigned assertion is never accepted.
	RequireSignedAssertion bool

	// RequireSignedResponse demands a valid signature on the Response element (Entra's
	// "Sign SAML response" or "Sign SAML response and assertion"). False accepts an
	// unsigned Response whose assertion is signed.
	RequireSignedResponse bool

	// InsecureAllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests. SHA-1 is broken for
	// collision resistance; enable it only for an IdP that cannot be moved to SHA-256
	// (in Entra: Signing Algorithm = SHA-256). False, the default, rejects them.
	InsecureAllowSHA1 bool

	// SignAuthnRequests signs HTTP-Redirect AuthnRequests with Key (RSA-SHA256 query
	// signature), for Entra's "Require verification certificates". False sends them
	// unsigned. It requires Key. (Implemented with the AuthnRequest code in request.go.)
	SignAuthnRequests bool

	// Logout configures Single Logout (LogoutRequest and LogoutResponse messages): the
	// SP's Logout URL and the signature policy. The zero value serves no logout message;
	// SP-initiated LogoutRequests still work when IdP.SLOURL is set.
	Logout LogoutConfig

	// Limits bound the size and shape of responses accepted. Zero fields mean the
	// defaults documented on Limits.
	Limits Limits

	// ReplayCache remembers consumed assertion IDs so each is accepted once. Nil means a
	// per-SP in-memory cache (NewMemoryReplayCache(0)); a fleet of servers must share
	// one, e.g. Redis-backed.
	ReplayCache ReplayCache

	// Logger receives the administrator-facing reason of every rejected response, one
	// record each with the attributes err, kind, check, fix and ref (see WithRef);
	// give it the app's own attributes (e.g. slog.With("org", …)) to find them by. Nil
	// means no logging.
	Logger *slog.Logger

	// RejectExpiredCertificates refuses a signature made with a configured IdP
	// certificate outside its validity dates. False, the default, treats configured
	// certificates as pinned trust anchors whose dates are reported (Diagnose's "signer
	// validity", certs.ExpiringCertificates), not enforced: Entra keeps signing with an
	// expired certificate until an admin activates a new one, and refusing it then locks
	// everyone out at once.
	RejectExpiredCertificates bool

	// SignerLog records which configured certificate signed each accepted response, for
	// Signers ("Entra still signs with X; Y has not signed yet"). Nil records nothing.
	SignerLog SignerLog
}

const (
	defaultClockSkew     = 180 * time.Second
	defaultMaxIssueDelay = 5 * time.Minute
	defaultLoginTimeout  = 15 * time.Minute
)
