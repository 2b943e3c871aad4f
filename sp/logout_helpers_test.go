package sp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/samltest"
)

// The SP's Logout URL (Entra: Basic SAML Configuration → Logout Url) in these tests.
const spLogoutURL = "https://app.example/organizations/acme/saml/logout"

// entraLogoutIssuer is the Issuer Entra writes into LogoutResponses for the test tenant.
var entraLogoutIssuer = "https://login.microsoftonline.com/" + samltest.TenantID + "/"

// logoutConfig is the SP of the generated fixtures with Single Logout configured.
func logoutConfig(idp *samltest.IdP) Config {
	cfg := genConfig(idp)
	cfg.IdP.LogoutResponseIssuer = entraLogoutIssuer
	cfg.Logout.URL = spLogoutURL
	return cfg
}

func newSP(t testing.TB, cfg Config) *SP {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// idpLogoutRequest is a LogoutRequest shaped exactly like Entra's broadcast ones: no XML
// declaration, unprefixed Issuer and NameID, NotOnOrAfter one hour on, one SessionIndex.
func idpLogoutRequest(id string) *etree.Element {
	el := etree.NewElement("samlp:LogoutRequest")
	el.CreateAttr("xmlns", assertNS)
	el.CreateAttr("xmlns:samlp", protoNS)
	el.CreateAttr("ID", id)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", fmtTime(samltest.Now))
	el.CreateAttr("NotOnOrAfter", fmtTime(samltest.Now.Add(time.Hour)))
	el.CreateAttr("Destination", spLogoutURL)
	el.CreateElement("Issuer").SetText(samltest.IssuerFor(samltest.TenantID))
	n := el.CreateElement("NameID")
	n.CreateAttr("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
	n.SetText("adele@contoso.example")
	el.CreateElement("samlp:SessionIndex").SetText("_session-1")
	return el
}

// idpLogoutResponse is Entra's LogoutResponse to requestID, with Entra's LogoutResponse
// Issuer and the given top-level status.
func idpLogoutResponse(id, requestID, status string) *etree.Element {
	el := etree.NewElement("samlp:LogoutResponse")
	el.CreateAttr("xmlns:samlp", protoNS)
	el.CreateAttr("ID", id)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", fmtTime(samltest.Now))
	el.CreateAttr("Destination", spLogoutURL)
	el.CreateAttr("InResponseTo", requestID)
	iss := el.CreateElement("Issuer")
	iss.CreateAttr("xmlns", assertNS)
	iss.SetText(entraLogoutIssuer)
	el.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", status)
	return el
}

func xmlOf(t testing.TB, el *etree.Element) []byte {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deflateB64(t testing.TB, xml []byte) string {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(xml)
	w.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// lowerEscapes writes every %XX escape in lower case, as Microsoft's stacks do.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = byte(strings.ToLower(string(b[i+1]))[0]), byte(strings.ToLower(string(b[i+2]))[0])
		}
	}
	return string(b)
}

// entraQuery is the HTTP-Redirect query Entra sends: lower-case percent-escapes and the
// parameter order param, Signature, SigAlg (RelayState last), signed over the octets
// param=…&RelayState=…&SigAlg=… exactly as they appear. key nil sends it unsigned.
func entraQuery(t testing.TB, key *rsa.PrivateKey, param string, xml []byte, relayState string) string {
	t.Helper()
	value := lowerEscapes(url.QueryEscape(deflateB64(t, xml)))
	rs := lowerEscapes(url.QueryEscape(relayState))
	if key == nil {
		q := param + "=" + value
		if relayState != "" {
			q += "&RelayState=" + rs
		}
		return q
	}
	alg := lowerEscapes(url.QueryEscape("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"))
	signed := param + "=" + value
	if relayState != "" {
		signed += "&RelayState=" + rs
	}
	signed += "&SigAlg=" + alg
	sum := crypto.SHA256.New()
	sum.Write([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	q := param + "=" + value + "&Signature=" + lowerEscapes(url.QueryEscape(base64.StdEncoding.EncodeToString(sig))) + "&SigAlg=" + alg
	if relayState != "" {
		q += "&RelayState=" + rs
	}
	return q
}

// postValue is the HTTP-POST form value of el, enveloped-signed by idp when idp is set.
func postValue(t testing.TB, idp *samltest.IdP, el *etree.Element) string {
	t.Helper()
	el = el.Copy()
	if idp != nil {
		if err := idp.Sign(el, samltest.SHA256); err != nil {
			t.Fatal(err)
		}
	}
	return base64.StdEncoding.EncodeToString(xmlOf(t, el))
}

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
