package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxInput bounds what Parse reads. A certificate is a few kilobytes; a pasted chain a
// few dozen.
const MaxInput = 1 << 20

// Parse reads one or more X.509 certificates from the forms IdPs hand out and admins
// paste:
//
//   - PEM, one or several "CERTIFICATE" blocks, LF or CRLF line ends, with text before
//     or after the blocks (Entra's "Certificate (Base64)" download), even squeezed onto
//     one line by a web form;
//   - bare base64 with or without line breaks and spaces (as in metadata XML);
//   - DER (Entra's "Certificate (Raw)"), one or several concatenated.
//
// Anything else gets an *InputError saying what was found and what is expected:
// private keys, certificate requests, public keys, metadata XML, thumbprints, truncated
// or damaged blocks, empty input. Parse never returns an empty slice with a nil error.
//
// Parse returns every certificate it reads, chains included. To trust what it returns as
// an IdP's signing certificates, use ParseSigning, which refuses certificate authorities.
func Parse(data []byte) ([]*x509.Certificate, error) {
	if len(data) > MaxInput {
		return nil, inputErr(ErrMalformed, fmt.Sprintf("%d bytes of input", len(data)),
			fmt.Sprintf("a certificate is a few kilobytes; this limit is %d bytes", MaxInput), nil)
	}
	text := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) // UTF-8 BOM from Windows editors
	if utf8.Valid(text) {
		text = unescape(text)
	}
	switch {
	case len(text) == 0:
		return nil, &InputError{Kind: ErrEmpty, Found: "nothing (empty input)", Expected: expected,
			Hint: `in Entra, open the application's "Single sign-on" page and download "Certificate (Base64)" under "SAML Certificates"`}
	case bytes.Contains(text, []byte("-----BEGIN")):
		return parsePEM(text)
	case text[0] == '<':
		return nil, xmlError(text)
	}
	if kind, ok := fingerprintKind(text); ok {
		return nil, inputErr(ErrNotCertificate, kind,
			`a thumbprint only names a certificate; paste the certificate itself: in Entra, download "Certificate (Base64)" under "SAML Certificates"`, nil)
	}
	if isBase64Text(text) {
		der, err := decodeBase64(text)
		if err != nil {
			return nil, inputErr(ErrMalformed, "base64 text that does not decode (damaged or incomplete)", "the text was probably cut off or changed while copying; copy it again", err)
		}
		return parseDER(der, "base64")
	}
	if text[0] == 0x30 { // ASN.1 SEQUENCE: binary DER
		return parseDER(data, "DER")
	}
	return nil, inputErr(ErrMalformed, fmt.Sprintf("%d bytes that are neither PEM, base64 nor DER", len(text)), "", nil)
}

// unescape undoes what happens to a certificate kept in a JSON value, a quoted .env or
// YAML string, or a shell variable: surrounding quotes, and line breaks written as \n
// (JSON also writes / as \/). Backslashes never occur in PEM or base64, so this cannot
// change a certificate that was pasted plainly.
func unescape(text []byte) []byte {
	if n := len(text); n >= 2 && (text[0] == '"' || text[0] == '\'') && text[n-1] == text[0] {
		text = bytes.TrimSpace(text[1 : n-1])
	}
	if !bytes.Contains(text, []byte(`\`)) {
		return text
	}
	r := strings.NewReplacer(`\r\n`, "\n", `\n`, "\n", `\r`, "\n", `\/`, "/")
	return bytes.TrimSpace([]byte(r.Replace(string(text))))
}

// pemBlock is one BEGIN/END pair. Parsing it here rather than with encoding/pem lets
// us accept blocks a web form squeezed onto one line and name the block that is broken.
type pemBlock struct {
	label string
	body  []byte
}

func parsePEM(text []byte) ([]*x509.Certificate, error) {
	blocks, err := scanPEM(text)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for i, b := range blocks {
		where := fmt.Sprintf("PEM block %d (%q)", i+1, b.label)
		switch label := b.label; {
		case label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE":
			der, err := decodeBase64(b.body)
			if err != nil {
				return nil, inputErr(ErrMalformed, where+" with damaged or incomplete base64", "the block was probably cut off or changed while copying; copy it again", err)
			}
			if label == "TRUSTED CERTIFICATE" {
				// OpenSSL appends trust settings after the certificate; keep the certificate.
				var first asn1.RawValue
				if _, err := asn1.Unmarshal(der, &first); err == nil {
					der = first.FullBytes
				}
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, inputErr(ErrMalformed, where+" whose content is not a valid certificate", "the block was probably cut off or changed while copying; copy it again", err)
			}
			out = append(out, c)
		default:
			return nil, notCertificate(label, where)
		}
	}
	return out, nil
}

func scanPEM(text []byte) ([]pemBlock, error) {
	const begin, end, dashes = "-----BEGIN ", "-----END ", "-----"
	var blocks []pemBlock
	rest := text
	for n := 1; ; n++ {
		i := bytes.Index(rest, []byte(begin))
		if i < 0 {
			break
		}
		rest = rest[i+len(begin):]
		j := bytes.Index(rest, []byte(dashes))
		if j < 0 || j > 64 || bytes.ContainsAny(rest[:j], "\r\n") {
			return nil, inputErr(ErrMalformed, fmt.Sprintf("PEM block %d with a broken BEGIN line", n), "copy the whole file again, from -----BEGIN to -----END", nil)
		}
		label := string(rest[:j])
		rest = rest[j+len(dashes):]
		endLine := []byte(end + label + dashes)
		k := bytes.Index(rest, endLine)
		if next := bytes.Index(rest, []byte(begin)); k < 0 || (next >= 0 && next < k) {
			return nil, inputErr(ErrMalformed, fmt.Sprintf("PEM block %d (%q) without its END line (truncated)", n, label),
				fmt.Sprintf("the copy was cut off: it must end with %q", string(endLine)), nil)
		}
		blocks = append(blocks, pemBlock{label: label, body: rest[:k]})
		rest = rest[k+len(endLine):]
	}
	if len(blocks) == 0 { // "-----BEGIN" without the following space
		return nil, inputErr(ErrMalformed, "a broken PEM BEGIN line", "copy the whole file again, from -----BEGIN to -----END", nil)
	}
	return blocks, nil
}

// notCertificate explains a PEM label that is not a certificate.
func notCertificate(label, where string) error {
	switch {
	case strings.Contains(label, "PRIVATE KEY"):
		return inputErr(ErrNotCertificate, "a private key in "+where,
			"never paste or share a private key here; the IdP's public certificate is enough (in Entra: \"Certificate (Base64)\")", nil)
	case strings.Contains(label, "CERTIFICATE REQUEST"):
		return inputErr(ErrNotCertificate, "a certificate signing request (CSR) in "+where,
			"a CSR is not signed yet; paste the issued certificate", nil)
	case strings.Contains(label, "PUBLIC KEY"):
		return inputErr(ErrNotCertificate, "a bare public key in "+where, "paste the certificate that contains it", nil)
	case strings.Contains(label, "PKCS7") || label == "CMS":
		return inputErr(ErrNotCertificate, "a PKCS#7 bundle in "+where, "export the certificate alone as Base64 (.cer or .pem)", nil)
	default:
		return inputErr(ErrNotCertificate, where, "", nil)
	}
}

// parseDER reads one or more concatenated DER certificates, explaining other DER objects.
func parseDER(der []byte, form string) ([]*x509.Certificate, error) {
	cs, err := x509.ParseCertificates(der)
	if err == nil && len(cs) > 0 {
		return cs, nil
	}
	if _, kerr := x509.ParsePKCS8PrivateKey(der); kerr == nil {
		return nil, notCertificate("PRIVATE KEY", form+" (PKCS#8)")
	}
	if _, kerr := x509.ParsePKCS1PrivateKey(der); kerr == nil {
		return nil, notCertificate("RSA PRIVATE KEY", form+" (PKCS#1)")
	}
	if _, kerr := x509.ParseECPrivateKey(der); kerr == nil {
		return nil, notCertificate("EC PRIVATE KEY", form+" (SEC1)")
	}
	if _, cerr := x509.ParseCertificateRequest(der); cerr == nil {
		return nil, notCertificate("CERTIFICATE REQUEST", form)
	}
	if _, perr := x509.ParsePKIXPublicKey(der); perr == nil {
		return nil, notCertificate("PUBLIC KEY", form)
	}
	switch container(der) {
	case "PKCS#12":
		return nil, inputErr(ErrNotCertificate, "a PKCS#12 (.pfx/.p12) file in "+form,
			"it holds a private key that must stay with its owner; export or download the certificate alone (Entra: \"Certificate (Base64)\")", nil)
	case "PKCS#7":
		return nil, notCertificate("PKCS7", form)
	}
	if err == nil {
		err = errors.New("no certificate in input")
	}
	return nil, inputErr(ErrMalformed, form+" data that is not a complete certificate",
		"the data was probably cut off or changed while copying; copy or download it again", err)
}

var (
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
)

// container recognises the DER containers Windows exports certificates in, so the error
// can say what they are: a PKCS#12 PFX (version 3, then data ContentInfo) or a PKCS#7
// SignedData ContentInfo (.p7b).
func container(der []byte) string {
	var pfx struct {
		Version  int
		AuthSafe struct {
			ContentType asn1.ObjectIdentifier
			Content     asn1.RawValue `asn1:"optional"`
		}
		Rest asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(der, &pfx); err == nil && pfx.Version == 3 && pfx.AuthSafe.ContentType.Equal(oidData) {
		return "PKCS#12"
	}
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(der, &ci); err == nil && ci.ContentType.Equal(oidSignedData) {
		return "PKCS#7"
	}
	return ""
}

func xmlError(text []byte) error {
	if bytes.Contains(text, []byte("EntityDescriptor")) {
		return inputErr(ErrNotCertificate, "SAML metadata XML (an EntityDescriptor)",
			"upload it as the IdP's federation metadata instead, or paste only Entra's \"Certificate (Base64)\"", nil)
	}
	return inputErr(ErrNotCertificate, "an XML document", "", nil)
}

// fingerprintKind recognises a SHA-1 thumbprint or SHA-256 fingerprint in hex, with or
// without ':' or space separators: what the Entra portal shows next to a certificate.
func fingerprintKind(text []byte) (string, bool) {
	n := 0
	for _, c := range text {
		switch {
		case c == ':' || c == ' ' || c == '-':
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			n++
		default:
			return "", false
		}
	}
	switch n {
	case 40:
		return "a SHA-1 thumbprint (40 hex digits)", true
	case 64:
		return "a SHA-256 fingerprint (64 hex digits)", true
	}
	return "", false
}

func isBase64Text(text []byte) bool {
	for _, c := range text {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '+', c == '/', c == '=', isSpace(c):
		default:
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// decodeBase64 decodes standard base64, ignoring all whitespace and tolerating missing
// padding (both happen when people paste).
func decodeBase64(b []byte) ([]byte, error) {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if !isSpace(c) {
			clean = append(clean, c)
		}
	}
	if len(clean) == 0 {
		return nil, errors.New("no base64 content")
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Strict().Decode(out, clean)
	if err != nil {
		trimmed := bytes.TrimRight(clean, "=")
		out = make([]byte, base64.RawStdEncoding.DecodedLen(len(trimmed)))
		n, err = base64.RawStdEncoding.Strict().Decode(out, trimmed)
	}
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}
