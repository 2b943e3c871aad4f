package sp

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/xmldsig"
)

// Step 5: signatures, only against the configured IdP certificates.

func (s *SP) profile() xmldsig.Profile {
	return xmldsig.Profile{AllowSHA1: s.cfg.InsecureAllowSHA1}
}

func checkResponseSignature(st *state) Check {
	const name = "response signature"
	if st.respSig == nil {
		if st.sp.cfg.RequireSignedResponse {
			return failed(ErrSignature, name, "a signed Response", "an unsigned Response",
				"in Entra, set Signing Option to \"Sign SAML response and assertion\" (or \"Sign SAML response\"), or clear RequireSignedResponse")
		}
		return notApplicable("the Response is not signed")
	}
	v, err := xmldsig.Verify(st.resp, st.respSig, st.sp.cfg.IdP.Certificates, st.sp.profile())
	if err != nil {
		return failedErr(st.sp.signatureError(name, err))
	}
	st.sp.warnSHA1(st, v)
	st.respV = v
	st.response = v.Element
	// Everything inside the Response is now covered: read the assertion from the copy
	// the signature verified.
	for _, c := range v.Element.ChildElements() {
		if c.NamespaceURI() != assertNS {
			continue
		}
		switch c.Tag {
		case "Assertion":
			st.assertion = c
			st.trusted = true
		case encryptedElement:
			st.encrypted = c
		}
	}
	return passed(st.sp.expectedSigners(), signedBy(v))
}

func checkAssertionSignature(st *state) Check {
	const name = "assertion signature"
	if st.assertSig == nil {
		if st.sp.cfg.RequireSignedAssertion {
			return failed(ErrSignature, name, "a signed Assertion", "an unsigned Assertion",
				"in Entra, set Signing Option to \"Sign SAML assertion\" or \"Sign SAML response and assertion\", or clear RequireSignedAssertion")
		}
		return notApplicable("the Assertion is not signed")
	}
	v, err := xmldsig.Verify(st.received, st.assertSig, st.sp.cfg.IdP.Certificates, st.sp.profile())
	if err != nil {
		// A signature that is present must be valid, even when the Response's covers it.
		st.trusted = false
		return failedErr(st.sp.signatureError(name, err))
	}
	st.sp.warnSHA1(st, v)
	st.assertV = v
	st.assertion = v.Element
	st.trusted = true
	return passed(st.sp.expectedSigners(), signedBy(v))
}

func checkCoverage(st *state) Check {
	const name = "signature coverage"
	want := "the assertion covered by a trusted signature"
	if !st.trusted {
		return failed(ErrSignature, name, want, "no valid trusted signature covers the assertion",
			"configure the IdP to sign the assertion (Entra's default \"Sign SAML assertion\") with the certificate configured here")
	}
	var by []string
	if st.respV != nil {
		by = append(by, "Response signature")
	}
	if st.assertV != nil {
		by = append(by, "Assertion signature")
	}
	return passed(want, "covered by the "+strings.Join(by, " and the "))
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
			return e
		}
		if de.KeyInfoCert != nil {
			signer = "certificate " + derThumbprint(de.KeyInfoCert) + " (per KeyInfo; not trusted)"
			if c, perr := x509.ParseCertificate(de.KeyInfoCert); perr == nil {
				signer += ", subject " + quote(c.Subject.String()) + ", valid " + fmtTime(c.NotBefore)[:10] + " to " + fmtTime(c.NotAfter)[:10]
			}
		}
		e.Received = "signed by " + signer
		e.Fix = "paste the IdP's current signing certificate (Entra: Single sign-on → SAML Certificates → Certificate (Base64)); during a rollover configure both certificates"
	case errors.Is(de, xmldsig.ErrDigest):
		e.Received = de.Reason
		e.Fix = "the response was modified after the IdP signed it: post it unchanged"
	case errors.Is(de, xmldsig.ErrAlgorithm):
		e.Expected = "RSA-SHA256 (or SHA-384/512)"
		e.Received = de.Reason
		e.Fix = "in Entra, set Signing Algorithm to SHA-256 (SHA-1 is accepted only with InsecureAllowSHA1)"
	default:
		e.Expected = "an enveloped signature of the element it is in, per the SAML signature profile"
		e.Received = de.Reason
		e.Fix = "the signature does not follow the SAML profile; the response was altered or the IdP is misconfigured"
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
