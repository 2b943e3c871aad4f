package sp

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/xmldsig"
)

// Steps 4 and 6: signatures (the Response's before decryption, the Assertion's after),
// only against the configured IdP certificates.

func (s *SP) profile() xmldsig.Profile {
	return xmldsig.Profile{AllowSHA1: s.cfg.InsecureAllowSHA1}
}

func checkResponseSignature(st *state) Check {
	const name = "response signature"
	if st.respSig == nil {
		if st.sp.cfg.RequireSignedResponse {
			return failed(ErrSignature, name, "a signed Response", "an unsigned Response",
				fix(CodeRequireSignedResponse, "in Entra, set Signing Option to \"Sign SAML response and assertion\" (or \"Sign SAML response\"), or stop requiring a signed Response in this SP"))
		}
		return notApplicable("the Response is not signed")
	}
	v, err := xmldsig.Verify(st.resp, st.respSig, st.sp.cfg.IdP.Certificates, st.sp.profile())
	if err != nil {
		return failedErr(st.signatureError(name, err))
	}
	st.sp.warnSHA1(st, v)
	st.respV = v
	return passed(st.sp.expectedSigners(), signedBy(v))
}

func checkAssertionSignature(st *state) Check {
	const name = "assertion signature"
	if st.assertSig == nil {
		if st.sp.cfg.RequireSignedAssertion {
			return failed(ErrSignature, name, "a signed Assertion", "an unsigned Assertion",
				fix(CodeRequireSignedAssertion, "in Entra, set Signing Option to \"Sign SAML assertion\" or \"Sign SAML response and assertion\", or stop requiring signed assertions in this SP"))
		}
		return notApplicable("the Assertion is not signed")
	}
	v, err := xmldsig.Verify(st.received, st.assertSig, st.sp.cfg.IdP.Certificates, st.sp.profile())
	if err != nil {
		return failedErr(st.signatureError(name, err))
	}
	st.sp.warnSHA1(st, v)
	st.assertV = v
	return passed(st.sp.expectedSigners(), signedBy(v))
}

// checkCoverage ends the signature stage: it makes the one trust value every later
// check reads.
func checkCoverage(st *state) Check {
	const name = "signature coverage"
	want := "the assertion covered by a trusted signature"
	st.trust = establish(st.respV, st.assertV, st.assertSig != nil, coveredByResponse(st))
	if st.trust == nil && st.encrypted != nil {
		// What an untrusted plaintext says is not told, not even to Diagnose: with one
		// SP key for many IdPs (sp/orgs), an admin could otherwise read another
		// organization's encrypted assertions by posting them to a test.
		st.stop = "signature coverage (the decrypted assertion is not trusted, so nothing it says is reported)"
	}
	if st.trust == nil && st.signatureFailed() {
		// The failed signature check already says what to fix; a second failure here
		// ("sign the assertion") would send the admin to the wrong setting. Nothing is
		// trusted all the same, and that check's error is the one Validate returns.
		return notApplicable("a signature did not verify (see that check)")
	}
	if st.trust == nil {
		return failed(ErrSignature, name, want, "no valid trusted signature covers the assertion",
			fix(CodeSignAssertion, "configure the IdP to sign the assertion (Entra's default \"Sign SAML assertion\") with the certificate configured here"))
	}
	var by []string
	if st.trust.response != nil {
		by = append(by, "Response signature")
	}
	if st.trust.assertion != nil {
		by = append(by, "Assertion signature")
	}
	return passed(want, "covered by the "+strings.Join(by, " and the "))
}

// signatureFailed reports whether a signature the Response carries, or one this SP
// requires, failed its own check.
func (st *state) signatureFailed() bool {
	return st.respSig != nil && st.respV == nil || st.assertSig != nil && st.assertV == nil ||
		st.respSig == nil && st.sp.cfg.RequireSignedResponse || st.assertSig == nil && st.sp.cfg.RequireSignedAssertion
}

// trust is what the signature stage established, the way x509's Verify returns chains
// instead of setting flags: made once, from the signatures that verified, and never
// changed after. What a later check or the result believes comes from here.
type trust struct {
	response  *xmldsig.Verified // the Response's signature, nil when it was unsigned
	assertion *xmldsig.Verified // the Assertion's own signature, nil when it was unsigned
	// element is the covered Assertion, read from a verified copy: the assertion's own
	// signature's when it has one, else the Response signature's.
	element *etree.Element
	// signer is the signature that covers element (the assertion's own, else the
	// Response's): its certificate and algorithm go into the result.
	signer *xmldsig.Verified
}

// establish decides what is trusted. Every signature present must verify (a failed
// assertion signature is not rescued by the Response's); the assertion is then
// covered by its own signature, or by the Response's when fromResponse is the
// assertion as that signature's verified copy holds it (nil when it has none).
func establish(respV, assertV *xmldsig.Verified, assertSigned bool, fromResponse *etree.Element) *trust {
	t := &trust{response: respV, assertion: assertV}
	switch {
	case assertV != nil:
		t.element, t.signer = assertV.Element, assertV
	case !assertSigned && respV != nil && fromResponse != nil:
		t.element, t.signer = fromResponse, respV
	default:
		return nil
	}
	return t
}

// coveredByResponse is the assertion as the verified Response holds it: the Assertion
// child of its verified copy, or the plaintext decrypted from that copy's
// EncryptedAssertion. Nil when the Response signature did not verify.
func coveredByResponse(st *state) *etree.Element {
	if st.respV == nil {
		return nil
	}
	if st.encrypted != nil {
		return st.received // decrypted from the verified copy (checkDecryption)
	}
	return elChild(st.respV.Element, assertNS, "Assertion")
}

// responseEl is the Response later checks read: the verified copy when it was signed,
// else the received one (then read only to reject).
func (st *state) responseEl() *etree.Element {
	if st.respV != nil {
		return st.respV.Element
	}
	return st.resp
}

// assertionEl is the Assertion later checks read: the trusted one, or, when nothing
// trusted covers it (Diagnose goes on), the best unverified reading, for hints only.
func (st *state) assertionEl() *etree.Element {
	if st.trust != nil {
		return st.trust.element
	}
	if a := coveredByResponse(st); a != nil {
		return a
	}
	return st.received
}

func signedBy(v *xmldsig.Verified) string {
	return "signed by " + certs.Thumbprint(v.Certificate) + " (" + algName(v.SignatureMethod) + ")"
}

func algName(uri string) string {
	if i := strings.LastIndexByte(uri, '#'); i >= 0 {
		return strings.ToUpper(uri[i+1:])
	}
	return uri
}

// expectedSigners names the configured certificates the way Entra shows them.
func (s *SP) expectedSigners() string {
	prints := make([]string, len(s.cfg.IdP.Certificates))
	for i, c := range s.cfg.IdP.Certificates {
		prints[i] = certs.Thumbprint(c)
	}
	if len(prints) == 1 {
		return "signed by the configured certificate " + prints[0]
	}
	return "signed by one of the configured certificates " + strings.Join(prints, ", ")
}

// signatureError is s.signatureError, with advice that names the IdP a response from
// another IdP (or tenant) claims to come from: its unknown signer is then not a
// certificate to paste but a sign-in at the wrong tenant, or a whole IdP set up wrongly.
// The claim is unverified and only ever words a rejection.
func (st *state) signatureError(check string, err error) *Error {
	e := st.sp.signatureError(check, err)
	if e.FixCode != CodeSigningCertificate {
		return e
	}
	if got, ok := st.otherIdP(); ok {
		st.foreignSigner = true
		f := otherIdPFix(got, st.sp.cfg.IdP.EntityID)
		e.Fix, e.FixCode = f.Text, f.Code
		for k, v := range e.FixParams {
			f.Params[k] = v
		}
		e.FixParams = f.Params
	}
	return e
}

// otherIdP returns the Issuer the received response claims (the Assertion's, else the
// Response's, the only one when the assertion was encrypted) when it is not the
// configured IdP's.
func (st *state) otherIdP() (string, bool) {
	var iss string
	if st.encrypted == nil { // a decrypted Issuer is not told before a signature covers it
		iss = strings.TrimSpace(elText(elChild(st.received, assertNS, "Issuer")))
	}
	if iss == "" {
		iss = strings.TrimSpace(elText(elChild(st.resp, assertNS, "Issuer")))
	}
	return iss, iss != "" && iss != st.sp.cfg.IdP.EntityID
}

func otherIdPFix(got, want string) Fix {
	return fix(CodeOtherIdP, "this response comes from another IdP or tenant ("+quote(got)+"), not the one configured here ("+quote(want)+
		"): sign in with an account of the configured tenant; or, if this app should trust that IdP, set the IdP Entity ID and signing certificate here from its federation metadata (Entra: Microsoft Entra Identifier and Certificate (Base64))",
		"issuer", got, "value", want)
}

// signatureError turns a verification failure into the admin's explanation.
func (s *SP) signatureError(check string, err error) *Error {
	e := &Error{Kind: ErrSignature, Check: check, Expected: s.expectedSigners(), Err: err}
	var de *xmldsig.Error
	if !errors.As(err, &de) {
		e.Received = err.Error()
		return e
	}
	e.Err = nil
	switch {
	case errors.Is(de, xmldsig.ErrUntrusted):
		signer := "a certificate not named in KeyInfo"
		if c := s.configured(de.KeyInfoCert); c != nil {
			e.Received = "a signature that does not verify with " + certs.Thumbprint(c) + ", the configured certificate its KeyInfo names"
			e.Fix = "SignedInfo was altered or re-serialized after signing: post the response exactly as the IdP sent it"
			e.FixCode = CodeSignatureAltered
			return e
		}
		unknown := &UnknownSignerError{}
		if de.KeyInfoCert != nil {
			signer = "certificate " + derThumbprint(de.KeyInfoCert) + " (per KeyInfo; not trusted)"
			if c, perr := x509.ParseCertificate(de.KeyInfoCert); perr == nil {
				signer += ", subject " + quote(c.Subject.String()) + ", valid " + fmtTime(c.NotBefore)[:10] + " to " + fmtTime(c.NotAfter)[:10]
				unknown.Certificate = c
			}
		}
		e.Err = unknown
		e.Received = "signed by " + signer
		e.Fix = "paste the IdP's current signing certificate (Entra: Single sign-on → SAML Certificates → Certificate (Base64)); during a rollover configure both certificates"
		e.FixCode = CodeSigningCertificate
		if unknown.Certificate != nil {
			e.FixParams = map[string]string{"thumbprint": certs.Thumbprint(unknown.Certificate)}
		}
	case errors.Is(de, xmldsig.ErrDigest):
		e.Received = de.Reason
		e.Fix = "the response was modified after the IdP signed it: post it unchanged"
		e.FixCode = CodeAltered
	case errors.Is(de, xmldsig.ErrAlgorithm):
		e.Expected = "RSA-SHA256 (or SHA-384/512)"
		e.Received = de.Reason
		e.Fix = "in Entra, set Signing Algorithm to SHA-256 (SHA-1 is refused unless this SP is explicitly configured to accept it insecurely)"
		e.FixCode = CodeSigningAlgorithm
	default:
		e.Expected = "an enveloped signature of the element it is in, per the SAML signature profile"
		e.Received = de.Reason
		e.Fix = "the signature does not follow the SAML profile; the response was altered or the IdP is misconfigured"
		e.FixCode = CodeSignatureProfile
	}
	return e
}

func derThumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// configured returns the configured certificate whose DER is der, if any.
func (s *SP) configured(der []byte) *x509.Certificate {
	for _, c := range s.cfg.IdP.Certificates {
		if der != nil && bytes.Equal(c.Raw, der) {
			return c
		}
	}
	return nil
}

// warnSHA1 logs every signature accepted only because of InsecureAllowSHA1, so the
// opt-in never goes unnoticed.
func (s *SP) warnSHA1(st *state, v *xmldsig.Verified) {
	if s.cfg.Logger != nil && (v.SignatureMethod == xmldsig.RSASHA1 || v.DigestMethod == xmldsig.SHA1) {
		s.cfg.Logger.LogAttrs(st.ctx, slog.LevelWarn, "saml: accepted a SHA-1 signature because InsecureAllowSHA1 is set; set the IdP's Signing Algorithm to SHA-256",
			slog.String("signature", v.SignatureMethod), slog.String("digest", v.DigestMethod))
	}
}
