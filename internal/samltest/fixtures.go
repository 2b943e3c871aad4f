package samltest

// Fixture is one response the generator writes to testdata/<Name>.xml (and .b64).
type Fixture struct {
	Name    string
	About   string
	Options Options
}

// Fixtures are the reproducible files in testdata/: one per Entra Signing Option, plus an
// IdP-initiated one. Tests should build their own responses with IdP.Response; these
// files exist for people, for other tools (xmlsec1, interop peers) and as fuzz seeds.
func Fixtures() []Fixture {
	return []Fixture{
		{"entra-signed-assertion", `Entra's default Signing Option "Sign SAML assertion"`, Options{Sign: SignAssertion}},
		{"entra-signed-response", `Signing Option "Sign SAML response"`, Options{Sign: SignResponse}},
		{"entra-signed-both", `Signing Option "Sign SAML response and assertion"`, Options{Sign: SignBoth}},
		{"entra-idp-initiated", `IdP-initiated (My Apps), assertion signed, no InResponseTo`, Options{Sign: SignAssertion, Unsolicited: true}},
	}
}
