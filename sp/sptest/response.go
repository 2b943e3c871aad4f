package sptest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/samltest"
)

// Error is a sign-in Entra refuses before anything is sent to the application: Entra
// shows it on its own error page (SignIn and the IdP's HTTP endpoints do too) instead of
// posting a Response.
type Error struct {
	Code    string // e.g. "AADSTS700016"
	Message string // Entra's text after the code
}

func (e *Error) Error() string { return "sptest: " + e.Code + ": " + e.Message }

func refusal(code, message string) *Error { return &Error{Code: code, Message: message} }

// Second-level status codes Entra nests in an error Response.
const (
	statusRequestDenied       = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
	statusInvalidNameIDPolicy = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
)

// Respond answers an HTTP-Redirect AuthnRequest as Entra does once the user has signed
// in. authnRequestURL is where the SP sends the browser (the URL sp's AuthnRequestURL
// returns, a login handler's Location header), or just its query string. The Form holds
// the Response to post to the application: a signed-in user's assertion, or an error
// Response (AADSTS50105 for an unassigned user, AADSTS75016 for a NameID format Entra
// cannot issue). A request Entra would not answer at all (unknown Identifier, Reply URL
// not registered, not a SAML request) gives an *Error.
func (idp *IdP) Respond(authnRequestURL string) (*Form, error) {
	rawQuery := authnRequestURL
	if _, q, ok := strings.Cut(authnRequestURL, "?"); ok {
		rawQuery = q
	}
	rawQuery, _, _ = strings.Cut(rawQuery, "#")
	return idp.respondQuery(rawQuery)
}

// respondQuery is Respond for the raw query string of a request to the Login URL.
func (idp *IdP) respondQuery(rawQuery string) (*Form, error) {
	req, err := parseRedirect(rawQuery)
	if err != nil {
		return nil, err
	}
	return idp.answer(req, false, nil)
}

// RespondPost is Respond for an HTTP-POST AuthnRequest: the SAMLRequest and RelayState
// form values.
func (idp *IdP) RespondPost(samlRequest, relayState string) (*Form, error) {
	req, err := parsePost(samlRequest, relayState)
	if err != nil {
		return nil, err
	}
	return idp.answer(req, false, nil)
}

// IdPInitiated is the unsolicited Response Entra posts when the user picks the
// application spEntityID in My Apps: no InResponseTo, sent to its default Reply URL.
func (idp *IdP) IdPInitiated(spEntityID, relayState string) (*Form, error) {
	return idp.answer(&authnRequest{Issuer: spEntityID, RelayState: relayState}, true, nil)
}

// answer makes the Response for req, or the *Error Entra shows instead. A sign-in
// within sess (the browser's IdP session, nil without one) joins it, for Single Logout.
func (idp *IdP) answer(req *authnRequest, unsolicited bool, sess *idpSession) (*Form, error) {
	idp.mu.Lock()
	replyURLs, known := idp.apps[req.Issuer]
	u, signing, encrypt := idp.user, idp.signing, idp.encrypt
	idp.mu.Unlock()

	if u.UPN == "" {
		return nil, errors.New("sptest: the signed-in User has no UPN (SetUser with a User whose UPN is set)")
	}
	if !known {
		return nil, refusal("AADSTS700016", fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. "+
			"This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. "+
			"You may have sent your authentication request to the wrong tenant.", req.Issuer, idp.tenant))
	}
	acs := replyURLs[0]
	if req.ACSURL != "" {
		found := false
		for _, r := range replyURLs {
			found = found || r == req.ACSURL
		}
		if !found {
			return nil, refusal("AADSTS50011", fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. "+
				"Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.", req.ACSURL, req.Issuer))
		}
		acs = req.ACSURL
	}
	if req.ProtocolBinding != "" && req.ProtocolBinding != bindingPOST {
		return nil, refusal("AADSTS75003", "The request is not supported: SAML protocol response cannot be sent via bindings other than HTTP POST. Requested binding: "+req.ProtocolBinding)
	}

	now := idp.now().UTC()
	opts := samltest.Options{
		Sign:         signing.placement(),
		IssueInstant: now,
		ResponseID:   "_" + guid(),
		AssertionID:  "_" + guid(),
		InResponseTo: req.ID,
		Unsolicited:  unsolicited,
		Destination:  acs,
		Recipient:    acs,
		Audience:     req.Issuer,
		Claims:       idp.claims(u),
		EncryptTo:    encrypt,
	}
	refuse := func(second, code, message string) {
		opts.Status = samltest.StatusRequester
		opts.StatusMessage = fmt.Sprintf("%s: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			code, message, guid(), guid(), now.Format("2006-01-02 15:04:05Z"))
		opts.NoAssertion = true
		opts.EditResponse = func(r *etree.Element) {
			top := samltest.Find(r, samltest.NSProtocol, "StatusCode")
			top.CreateElement("samlp:StatusCode").CreateAttr("Value", second)
		}
	}
	if u.NotAssigned {
		refuse(statusRequestDenied, "AADSTS50105", fmt.Sprintf("Your administrator has configured the application %s to block users unless they are specifically granted ('assigned') access to the application. "+
			"The signed in user '%s' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. "+
			"Please contact your administrator to assign access to this application.", req.Issuer, u.UPN))
	} else {
		switch req.NameIDFormat {
		case "", NameIDEmail, NameIDUnspecified:
			opts.NameIDFormat, opts.NameID = NameIDEmail, u.UPN
		case NameIDPersistent:
			// A pairwise ID: the same for this user and application, different across apps.
			sum := sha256.Sum256([]byte(idp.tenant + "|" + u.ObjectID + "|" + u.UPN + "|" + req.Issuer))
			opts.NameIDFormat, opts.NameID = NameIDPersistent, base64.RawURLEncoding.EncodeToString(sum[:])
		case NameIDTransient:
			opts.NameIDFormat, opts.NameID = NameIDTransient, "_"+guid()
		default:
			refuse(statusInvalidNameIDPolicy, "AADSTS75016", "SAML2 Authentication Request has invalid NameIDPolicy: "+req.NameIDFormat+".")
		}
	}
	xml, err := idp.signer.Response(opts)
	if err != nil {
		return nil, fmt.Errorf("sptest: building the response: %w", err)
	}
	if !opts.NoAssertion {
		// The SessionIndex is the assertion's ID, as Entra writes it.
		idp.join(sess, participant{entityID: req.Issuer, nameID: opts.NameID, nameIDFormat: opts.NameIDFormat, sessionIndex: opts.AssertionID})
	}
	return &Form{Action: acs, SAMLResponse: base64.StdEncoding.EncodeToString(xml), RelayState: req.RelayState}, nil
}

// guid is a random version-4 UUID, the form of Entra's IDs (after "_" so that an ID never
// starts with a digit).
func guid() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToLower(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}
