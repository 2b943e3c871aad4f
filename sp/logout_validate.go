package sp

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/internal/xmldsig"
	"github.com/ssokit/saml/internal/xmlgate"
	"github.com/ssokit/saml/metadata"
)

// Replay-cache kinds of the logout messages.
const (
	replayLogoutRequest  = "logout-request"  // an IdP LogoutRequest ID, accepted once
	replayLogoutAnswered = "logout-answered" // our LogoutRequest ID, answered once
)

// LogoutMessage is what arrived at the SP's Logout URL: exactly one of Request (the IdP
// asks to end a session) and Response (the IdP answers the SP's LogoutRequest) is set.
type LogoutMessage struct {
	Request  *LogoutRequest
	Response *LogoutResponse
}

// ValidateLogout reads the logout message r carries, with either binding: a GET with
// SAMLRequest or SAMLResponse in the query (HTTP-Redirect; the raw query is read as
// received), or a POST form (HTTP-POST; the body is read up to 64 KiB). requestIDs are
// the IDs of the LogoutRequests this browser has outstanding (from LogoutRequestURL),
// used only when the message is a LogoutResponse.
func (s *SP) ValidateLogout(ctx context.Context, r *http.Request, requestIDs ...string) (*LogoutMessage, error) {
	switch r.Method {
	case http.MethodGet:
		m, err := redirect.Parse(r.URL.RawQuery, logoutGate.redirect)
		if err != nil {
			return nil, s.logoutRejected(ctx, bindingErr(err))
		}
		if m.Param == redirect.SAMLRequest {
			req, err := s.ValidateLogoutRequest(ctx, r.URL.RawQuery)
			return &LogoutMessage{Request: req}, err
		}
		resp, err := s.ValidateLogoutResponse(ctx, r.URL.RawQuery, requestIDs...)
		return &LogoutMessage{Response: resp}, err
	case http.MethodPost:
		r.Body = http.MaxBytesReader(nil, r.Body, 2*maxLogoutEncoded)
		if err := r.ParseForm(); err != nil {
			return nil, s.logoutRejected(ctx, &Error{Kind: ErrMalformed, Check: "logout binding", Expected: "an HTTP-POST form of at most " + strconv.Itoa(maxLogoutEncoded) + " bytes",
				Received: "a body that is not a readable form (" + err.Error() + ")", Fix: "the IdP must post SAMLRequest or SAMLResponse as a form", FixCode: CodeLogoutBinding})
		}
		req, resp := r.PostForm.Get(redirect.SAMLRequest), r.PostForm.Get(redirect.SAMLResponse)
		switch {
		case req != "" && resp == "":
			lr, err := s.ValidateLogoutRequestForm(ctx, req, r.PostForm.Get("RelayState"))
			return &LogoutMessage{Request: lr}, err
		case resp != "" && req == "":
			lr, err := s.ValidateLogoutResponseForm(ctx, resp, r.PostForm.Get("RelayState"), requestIDs...)
			return &LogoutMessage{Response: lr}, err
		}
		return nil, s.logoutRejected(ctx, &Error{Kind: ErrMalformed, Check: "logout binding", Expected: "exactly one of SAMLRequest and SAMLResponse",
			Received: "a form with neither or both", Fix: "post the IdP's logout message unchanged to the Logout URL", FixCode: CodeLogoutBinding})
	}
	return nil, s.logoutRejected(ctx, &Error{Kind: ErrMalformed, Check: "logout binding", Expected: "GET (HTTP-Redirect) or POST (HTTP-POST)",
		Received: "method " + r.Method, Fix: "the IdP must use the HTTP-Redirect or HTTP-POST binding", FixCode: CodeLogoutBinding})
}

// ValidateLogoutRequest checks an IdP-initiated LogoutRequest received with the
// HTTP-Redirect binding. rawQuery is the query string exactly as received
// (r.URL.RawQuery, never re-encoded): a query signature is verified over those octets,
// with the configured IdP certificates only.
//
// It checks the strict gate and the message's shape, the signature (when present; when
// absent only if LogoutConfig.RequireSignedRequests is not set), Version, Issuer (the
// IdP's entity ID), Destination (the SP's Logout URL), IssueInstant and NotOnOrAfter,
// and accepts each signed request's ID once. End the session the request Matches, then answer
// with LogoutResponseURL.
func (s *SP) ValidateLogoutRequest(ctx context.Context, rawQuery string) (*LogoutRequest, error) {
	if cur, err := s.current(ctx); err != nil || cur != s {
		if err != nil {
			return nil, err
		}
		return cur.ValidateLogoutRequest(ctx, rawQuery)
	}
	msg, err := s.readLogoutRedirect(rawQuery, redirect.SAMLRequest, "LogoutRequest")
	if err != nil {
		return nil, s.logoutRejected(ctx, err)
	}
	req, err := s.checkLogoutRequest(ctx, msg)
	return req, s.logoutRejected(ctx, err)
}

// ValidateLogoutRequestForm is ValidateLogoutRequest for the HTTP-POST binding:
// samlRequest is the SAMLRequest form value (base64 of the XML, which carries its
// signature, if any, as an enveloped XML signature), relayState the RelayState value.
func (s *SP) ValidateLogoutRequestForm(ctx context.Context, samlRequest, relayState string) (*LogoutRequest, error) {
	if cur, err := s.current(ctx); err != nil || cur != s {
		if err != nil {
			return nil, err
		}
		return cur.ValidateLogoutRequestForm(ctx, samlRequest, relayState)
	}
	msg, err := s.readLogoutPost(samlRequest, relayState, "LogoutRequest")
	if err != nil {
		return nil, s.logoutRejected(ctx, err)
	}
	req, err := s.checkLogoutRequest(ctx, msg)
	return req, s.logoutRejected(ctx, err)
}

// ValidateLogoutResponse checks the IdP's LogoutResponse to a LogoutRequest of this
// browser, received with the HTTP-Redirect binding; rawQuery as for
// ValidateLogoutRequest. requestIDs are the IDs LogoutRequestURL returned for this
// browser: InResponseTo must be one of them, and each is answered once.
//
// It checks the gate and shape, the signature (when present; when absent only if
// LogoutConfig.RequireSignedResponses is not set), Version, Issuer (the IdP's entity ID
// or IdP.LogoutResponseIssuer: Entra writes https://login.microsoftonline.com/<tenant>/),
// Destination, IssueInstant, InResponseTo and Status: a status other than Success is
// ErrStatus carrying the IdP's codes and message (Entra: AADSTS…).
func (s *SP) ValidateLogoutResponse(ctx context.Context, rawQuery string, requestIDs ...string) (*LogoutResponse, error) {
	if cur, err := s.current(ctx); err != nil || cur != s {
		if err != nil {
			return nil, err
		}
		return cur.ValidateLogoutResponse(ctx, rawQuery, requestIDs...)
	}
	msg, err := s.readLogoutRedirect(rawQuery, redirect.SAMLResponse, "LogoutResponse")
	if err != nil {
		return nil, s.logoutRejected(ctx, err)
	}
	resp, err := s.checkLogoutResponse(ctx, msg, requestIDs)
	return resp, s.logoutRejected(ctx, err)
}

// ValidateLogoutResponseForm is ValidateLogoutResponse for the HTTP-POST binding.
func (s *SP) ValidateLogoutResponseForm(ctx context.Context, samlResponse, relayState string, requestIDs ...string) (*LogoutResponse, error) {
	if cur, err := s.current(ctx); err != nil || cur != s {
		if err != nil {
			return nil, err
		}
		return cur.ValidateLogoutResponseForm(ctx, samlResponse, relayState, requestIDs...)
	}
	msg, err := s.readLogoutPost(samlResponse, relayState, "LogoutResponse")
	if err != nil {
		return nil, s.logoutRejected(ctx, err)
	}
	resp, err := s.checkLogoutResponse(ctx, msg, requestIDs)
	return resp, s.logoutRejected(ctx, err)
}

// current is the SP to check a logout message with: for an SP a Refreshing made (held
// by web handlers made once), the one for the source's trust now, as ValidateResponse
// does, so a certificate the metadata withdrew stops verifying logout messages at once
// and a new one verifies them; else s.
func (s *SP) current(ctx context.Context) (*SP, error) {
	if s.live == nil {
		return s, nil
	}
	return s.live.SP(ctx)
}

// logoutRejected logs a rejection once, for the administrator, and returns it.
func (s *SP) logoutRejected(ctx context.Context, err error) error {
	if err == nil || s.cfg.Logger == nil {
		return err
	}
	attrs := []slog.Attr{slog.String("error", err.Error())}
	var e *Error
	if errors.As(err, &e) {
		attrs = append(attrs, slog.String("check", e.Check))
	}
	if ref, ok := refFrom(ctx); ok {
		attrs = append(attrs, slog.String("ref", ref))
	}
	s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "saml: logout message rejected", attrs...)
	return err
}

// logoutMsg is a logout message past the gate and the signature.
type logoutMsg struct {
	binding    string
	relayState string
	// root is what to read: the verified copy when the XML was signed, else the parsed
	// root (a query signature covers the whole message).
	root   *etree.Element
	signer *x509.Certificate
}

func bindingErr(err error) *Error {
	return &Error{Kind: ErrMalformed, Check: "logout binding", Expected: "a SAML logout message in the HTTP-Redirect binding",
		Received: err.Error(), Fix: "send the IdP's logout message to the Logout URL unchanged", FixCode: CodeLogoutBinding, Err: err}
}

func (s *SP) readLogoutRedirect(rawQuery, param, root string) (*logoutMsg, error) {
	m, err := redirect.Parse(rawQuery, logoutGate.redirect)
	if err != nil {
		return nil, bindingErr(err)
	}
	if m.Param != param {
		return nil, &Error{Kind: ErrMalformed, Check: "logout binding", Expected: "a " + param + " (" + root + ")",
			Received: "a " + m.Param, Fix: "the IdP sent another message than this call reads", FixCode: CodeLogoutMessage}
	}
	xml, err := redirect.Inflate(m.Value, maxLogoutXML)
	if err != nil {
		return nil, bindingErr(err)
	}
	msg := &logoutMsg{binding: metadata.BindingHTTPRedirect, relayState: m.RelayState}
	if err := s.gateLogout(msg, xml, root); err != nil {
		return nil, err
	}
	if m.Signed() {
		c, err := m.Verify(s.cfg.IdP.Certificates, s.cfg.InsecureAllowSHA1)
		if err != nil {
			e := &Error{Kind: ErrSignature, Check: "logout signature", Expected: s.expectedSigners() + " (query signature, RSA-SHA256 or stronger)",
				Received: err.Error(), Err: &UnknownSignerError{},
				Fix: "paste the IdP's current signing certificate (Entra: Single sign-on → SAML Certificates → Certificate (Base64)); if it is configured, the query was altered on the way", FixCode: CodeSigningCertificate}
			if strings.Contains(err.Error(), "SigAlg") {
				e.Err, e.Fix, e.FixCode = nil, "in Entra, set Signing Algorithm to SHA-256", CodeSigningAlgorithm
			}
			return nil, e
		}
		msg.signer = c // an XML signature too, if any, verified in the gate
	}
	return msg, nil
}

func (s *SP) readLogoutPost(value, relayState, root string) (*logoutMsg, error) {
	if n := len(value); n == 0 || n > maxLogoutEncoded {
		return nil, &Error{Kind: ErrMalformed, Check: "logout binding", Expected: "a form value of 1 to " + strconv.Itoa(maxLogoutEncoded) + " bytes",
			Received: strconv.Itoa(n) + " bytes", Fix: "post the IdP's logout message unchanged", FixCode: CodeSizeLimit, FixParams: map[string]string{"value": strconv.Itoa(maxLogoutEncoded)}}
	}
	xml, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, value))
	if err != nil || len(xml) == 0 {
		return nil, &Error{Kind: ErrMalformed, Check: "logout binding", Expected: "the base64 of a " + root,
			Received: "a value that is not base64", Fix: "the HTTP-POST binding posts the message base64-encoded, not compressed", FixCode: CodeLogoutBinding}
	}
	msg := &logoutMsg{binding: metadata.BindingHTTPPost, relayState: relayState}
	if err := s.gateLogout(msg, xml, root); err != nil {
		return nil, err
	}
	return msg, nil
}

// gateLogout runs the strict gate over xml, checks the root is {protocol}root with IDs
// unique and at most one Signature, placed as the schema says, and verifies that
// signature when there is one.
func (s *SP) gateLogout(msg *logoutMsg, xml []byte, root string) error {
	ids := map[string]bool{}
	var dup string
	var sigs []*etree.Element
	doc, err := xmlgate.Parse(xml, xmlgate.Limits{
		MaxSize: maxLogoutXML, MaxDepth: 16, MaxElements: 256, MaxValueLength: 8 << 10, MaxComments: 0,
	}, func(el *etree.Element, ns string) error {
		if ns == dsigNS && el.Tag == "Signature" {
			sigs = append(sigs, el)
		}
		return collectID(ids, el, &dup)
	})
	if err != nil {
		if dup != "" {
			return &Error{Kind: ErrMalformed, Check: "logout xml", Expected: "every ID attribute unique", Received: "ID " + quote(dup) + " used twice",
				Fix: "a genuine IdP never repeats an ID; this message was altered", FixCode: CodeAltered}
		}
		return &Error{Kind: ErrMalformed, Check: "logout xml", Expected: "plain, well-formed XML without DTDs, at most " + strconv.Itoa(maxLogoutXML) + " bytes",
			Received: err.Error(), Fix: "send the IdP's logout message unchanged; DTDs, entities, comments and processing instructions are refused", FixCode: CodeXMLRejected}
	}
	el := doc.Root()
	if !elIs(el, protoNS, root) {
		return &Error{Kind: ErrMalformed, Check: "logout shape", Expected: "a <" + root + "> in namespace " + quote(protoNS),
			Received: "<" + el.FullTag() + "> in namespace " + quote(el.NamespaceURI()), Fix: "the IdP sent another message than this endpoint reads", FixCode: CodeLogoutMessage}
	}
	msg.root = el
	switch {
	case len(sigs) > 1:
		return &Error{Kind: ErrSignature, Check: "logout shape", Expected: "at most one Signature", Received: strconv.Itoa(len(sigs)) + " Signatures",
			Fix: "extra signatures are a signature-wrapping attack", FixCode: CodeSignatureWrapping}
	case len(sigs) == 0:
		return nil
	}
	sig := sigs[0]
	if sig.Parent() != el || !signatureAfterIssuer(sig) {
		return &Error{Kind: ErrSignature, Check: "logout shape", Expected: "the Signature as a direct child of <" + root + ">, right after the Issuer",
			Received: "a Signature inside <" + sig.Parent().FullTag() + ">", Fix: "signatures elsewhere are a signature-wrapping attack", FixCode: CodeSignatureWrapping}
	}
	v, err := xmldsig.Verify(el, sig, s.cfg.IdP.Certificates, s.profile())
	if err != nil {
		return s.signatureError("logout signature", err)
	}
	msg.root, msg.signer = v.Element, v.Certificate
	return nil
}

// logoutCommon checks what both messages share and returns the ID and IssueInstant.
func (s *SP) logoutCommon(msg *logoutMsg, requireSigned bool, issuers []string) (id string, issued time.Time, dest string, err error) {
	el := msg.root
	if msg.signer == nil && requireSigned {
		return "", time.Time{}, "", &Error{Kind: ErrSignature, Check: "logout signature", Expected: s.expectedSigners(),
			Received: "an unsigned <" + el.Tag + "> (" + bindingName(msg.binding) + " binding)",
			Fix:      "configure the IdP to sign logout messages, or clear the requirement to accept unsigned ones", FixCode: CodeLogoutSigning}
	}
	if v := elAttr(el, "Version"); v != samlVersion {
		return "", time.Time{}, "", &Error{Kind: ErrMalformed, Check: "logout version", Expected: "SAML 2.0", Received: "Version " + quote(v), Fix: "the IdP must speak SAML 2.0", FixCode: CodeSAMLVersion}
	}
	if id = elAttr(el, "ID"); id == "" {
		return "", time.Time{}, "", &Error{Kind: ErrMalformed, Check: "logout shape", Expected: "an ID", Received: "none", Fix: "the IdP must give every message an ID", FixCode: CodeSchema}
	}
	issuer := elChildren(el, assertNS, "Issuer")
	if len(issuer) != 1 {
		return "", time.Time{}, "", &Error{Kind: ErrIssuer, Check: "logout issuer", Expected: "one Issuer, " + quoteAll(issuers),
			Received: strconv.Itoa(len(issuer)) + " Issuer elements", Fix: "the IdP must name itself in every logout message", FixCode: CodeSchema}
	}
	got := strings.TrimSpace(elText(issuer[0]))
	if f := elAttr(issuer[0], "Format"); f != "" && f != nameIDEntity {
		return "", time.Time{}, "", &Error{Kind: ErrIssuer, Check: "logout issuer", Expected: "an entity Issuer", Received: "Issuer Format " + quote(f), Fix: "the IdP's Issuer must be its entity ID", FixCode: CodeIssuerFormat}
	}
	if !slices.Contains(issuers, got) {
		return "", time.Time{}, "", &Error{Kind: ErrIssuer, Check: "logout issuer", Expected: quoteAll(issuers), Received: quote(got),
			Fix: "check the IdP Entity ID configured here (Entra: Microsoft Entra Identifier, https://sts.windows.net/<tenant-id>/), or that this message comes from the right tenant", FixCode: CodeIdPEntityID, FixParams: map[string]string{"value": s.cfg.IdP.EntityID}}
	}
	want := s.cfg.Logout.URL
	dest = elAttr(el, "Destination")
	switch {
	case want == "":
		return "", time.Time{}, "", &Error{Kind: ErrDestination, Check: "logout destination", Expected: "a Logout URL configured for this SP",
			Received: "a logout message while none is", Fix: "give this SP a Logout URL and register it at the IdP (Entra: Basic SAML Configuration → Logout Url)", FixCode: CodeLogoutURL}
	case !elHasAttr(el, "Destination") && msg.signer != nil:
		return "", time.Time{}, "", &Error{Kind: ErrDestination, Check: "logout destination", Expected: quote(want), Received: "a signed message without Destination",
			Fix: "a signed message must name its Destination (SAML bindings 3.4.5.2)", FixCode: CodeDestinationMissing}
	case elHasAttr(el, "Destination") && dest != want:
		return "", time.Time{}, "", &Error{Kind: ErrDestination, Check: "logout destination", Expected: quote(want), Received: quote(dest),
			Fix: "set the Logout URL at the IdP (Entra: Basic SAML Configuration → Logout Url) to " + quote(want), FixCode: CodeLogoutURL, FixParams: map[string]string{"value": want}}
	}
	v := elAttr(el, "IssueInstant")
	issued, ok := parseTime(v)
	if !ok {
		return "", time.Time{}, "", &Error{Kind: ErrMalformed, Check: "logout time", Expected: "an xs:dateTime IssueInstant", Received: quote(v), Fix: "the IdP sent an invalid time", FixCode: CodeInvalidTime}
	}
	now, skew := s.now(), s.skew
	window := "issued between " + fmtTime(now.Add(-logoutMaxAge-skew)) + " and " + fmtTime(now.Add(skew))
	switch {
	case issued.After(now.Add(skew)):
		return "", time.Time{}, "", &Error{Kind: ErrExpired, Check: "logout time", Expected: window, Received: "issued at " + fmtTime(issued) + ", in the future",
			Fix: "the IdP's clock or this server's is wrong; check NTP on this server (or allow more clock skew in this SP)", FixCode: CodeClock, FixParams: map[string]string{"skew": skew.String()}}
	case issued.Before(now.Add(-logoutMaxAge - skew)):
		return "", time.Time{}, "", &Error{Kind: ErrExpired, Check: "logout time", Expected: window, Received: "issued at " + fmtTime(issued),
			Fix: "the logout message is too old; sign out again", FixCode: CodeLogoutExpired}
	}
	return id, issued, dest, nil
}

func (s *SP) checkLogoutRequest(ctx context.Context, msg *logoutMsg) (*LogoutRequest, error) {
	el := msg.root
	id, issued, dest, err := s.logoutCommon(msg, s.cfg.Logout.RequireSignedRequests, []string{s.cfg.IdP.EntityID})
	if err != nil {
		return nil, err
	}
	req := &LogoutRequest{ID: id, Issuer: s.cfg.IdP.EntityID, IssueInstant: issued, Destination: dest,
		Reason: elAttr(el, "Reason"), RelayState: msg.relayState, Binding: msg.binding, Signer: msg.signer}
	now, skew := s.now(), s.skew
	if v := elAttr(el, "NotOnOrAfter"); v != "" || elHasAttr(el, "NotOnOrAfter") {
		t, ok := parseTime(v)
		if !ok {
			return nil, &Error{Kind: ErrMalformed, Check: "logout time", Expected: "an xs:dateTime NotOnOrAfter", Received: quote(v), Fix: "the IdP sent an invalid time", FixCode: CodeInvalidTime}
		}
		if !now.Before(t.Add(skew)) {
			return nil, &Error{Kind: ErrExpired, Check: "logout time", Expected: "before NotOnOrAfter " + fmtTime(t) + " (plus the allowed clock skew, " + skew.String() + ")", Received: "now is " + fmtTime(now),
				Fix: "the LogoutRequest expired on its way; the IdP or this server's clock may be wrong", FixCode: CodeClock, FixParams: map[string]string{"skew": skew.String()}}
		}
		req.NotOnOrAfter = t
	}
	ids := len(elChildren(el, assertNS, "NameID")) + len(elChildren(el, assertNS, "BaseID")) + len(elChildren(el, assertNS, "EncryptedID"))
	nameID := elChild(el, assertNS, "NameID")
	switch {
	case ids != 1:
		return nil, &Error{Kind: ErrMalformed, Check: "logout subject", Expected: "one NameID", Received: strconv.Itoa(ids) + " identifiers", Fix: "the LogoutRequest must name one user", FixCode: CodeOneNameID}
	case nameID == nil:
		return nil, &Error{Kind: ErrMalformed, Check: "logout subject", Expected: "a NameID", Received: "a BaseID or EncryptedID (not supported)",
			Fix: "turn off NameID encryption for logout at the IdP", FixCode: CodeNameIDEncryption}
	case hasElementChildren(nameID):
		return nil, &Error{Kind: ErrMalformed, Check: "logout subject", Expected: "a NameID with only text", Received: "markup inside the NameID", Fix: "the message was altered", FixCode: CodeAltered}
	}
	req.NameID = assertion.NameID{
		Value:           strings.TrimSpace(elText(nameID)),
		Format:          elAttr(nameID, "Format"),
		NameQualifier:   elAttr(nameID, "NameQualifier"),
		SPNameQualifier: elAttr(nameID, "SPNameQualifier"),
		SPProvidedID:    elAttr(nameID, "SPProvidedID"),
	}
	for _, si := range elChildren(el, protoNS, "SessionIndex") {
		if hasElementChildren(si) {
			return nil, &Error{Kind: ErrMalformed, Check: "logout subject", Expected: "a SessionIndex with only text", Received: "markup inside a SessionIndex", Fix: "the message was altered", FixCode: CodeAltered}
		}
		req.SessionIndexes = append(req.SessionIndexes, strings.TrimSpace(elText(si)))
	}
	// Each signed request is accepted once, for as long as it could be accepted at all.
	// An unsigned one is not recorded: whoever could replay it could as well write a new
	// one, and recording every forged ID for an hour let anyone fill the replay cache
	// that logins share (a full memory cache fails every login closed).
	if msg.signer == nil {
		return req, nil
	}
	until := issued.Add(logoutMaxAge + 2*skew)
	if err := s.rememberLogout(ctx, replayLogoutRequest, id, until); err != nil {
		return nil, err
	}
	return req, nil
}

func (s *SP) checkLogoutResponse(ctx context.Context, msg *logoutMsg, requestIDs []string) (*LogoutResponse, error) {
	el := msg.root
	issuers := []string{s.cfg.IdP.EntityID}
	if li := s.cfg.IdP.LogoutResponseIssuer; li != "" && li != s.cfg.IdP.EntityID {
		issuers = append(issuers, li)
	}
	id, issued, dest, err := s.logoutCommon(msg, s.cfg.Logout.RequireSignedResponses, issuers)
	if err != nil {
		return nil, err
	}
	resp := &LogoutResponse{ID: id, Issuer: strings.TrimSpace(elText(elChild(el, assertNS, "Issuer"))), IssueInstant: issued, Destination: dest,
		InResponseTo: elAttr(el, "InResponseTo"), RelayState: msg.relayState, Binding: msg.binding, Signer: msg.signer}
	switch {
	case resp.InResponseTo == "":
		return nil, &Error{Kind: ErrInResponseTo, Check: "logout InResponseTo", Expected: "the ID of this browser's LogoutRequest", Received: "none",
			Fix: "a LogoutResponse answers a LogoutRequest; an unsolicited one is refused", FixCode: CodeLogoutUnsolicited}
	case !slices.Contains(requestIDs, resp.InResponseTo):
		expected := "one of this browser's LogoutRequests (" + quoteAll(requestIDs) + ")"
		if len(requestIDs) == 0 {
			expected = "a LogoutRequest sent from this browser (none is outstanding)"
		}
		return nil, &Error{Kind: ErrInResponseTo, Check: "logout InResponseTo", Expected: expected, Received: quote(resp.InResponseTo),
			Fix: "the sign-out started in another browser or expired; sign out again", FixCode: CodeLogoutUnsolicited}
	}
	// Each LogoutRequest is answered once, whatever the status.
	if err := s.rememberLogout(ctx, replayLogoutAnswered, resp.InResponseTo, s.now().Add(s.login+s.skew)); err != nil {
		return nil, err
	}
	status := elChildren(el, protoNS, "Status")
	if len(status) != 1 {
		return nil, &Error{Kind: ErrMalformed, Check: "logout status", Expected: "one Status", Received: strconv.Itoa(len(status)), Fix: "the LogoutResponse does not follow the SAML schema", FixCode: CodeSchema}
	}
	if c := statusOf(el); c.Err != nil {
		e := c.Err.(*Error)
		e.Check = "logout status"
		e.Fix = strings.Replace(e.Fix, "refused the sign-in", "did not sign the user out", 1)
		return nil, e
	}
	code := elChild(elChild(status[0], protoNS, "StatusCode"), protoNS, "StatusCode")
	resp.Partial = code != nil && elAttr(code, "Value") == statusPartialLogout
	return resp, nil
}

// rememberLogout records a logout message's ID in the replay cache, scoped like every
// other key (kind, SP, IdP).
func (s *SP) rememberLogout(ctx context.Context, kind, id string, until time.Time) error {
	err := s.replay.Remember(ctx, s.replayKey(kind, id), until)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrReplay):
		return &Error{Kind: ErrReplay, Check: "logout replay", Expected: "a logout message used once", Received: "ID " + quote(id) + " seen before",
			Fix: "the same logout message arrived twice (a reload or a replay); nothing to fix if it was a reload", FixCode: CodeReplay, Err: err}
	}
	return &Error{Kind: ErrUnavailable, Check: "logout replay", Expected: "a replay cache that answers", Received: err.Error(),
		Fix: "the replay cache (e.g. Redis) is down; the message was refused rather than accepted unchecked", FixCode: CodeReplayCache, Err: err}
}
