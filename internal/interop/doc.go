// Package interop checks this library against SAML identity providers nobody here wrote:
// pysaml2, SimpleSAMLphp and Lasso, run on this machine from their Debian packages by the
// driver scripts in peers/ (this package's directory; peers/README.md says how each IdP is
// driven). The scripts are part of this repository and maintained here.
//
// The non-test files are the harness: they find the scripts, tell whether a peer's packages
// are installed, run a peer with options and hand back what it produced (the base64
// SAMLResponse as an HTTP-POST form would carry it, the IdP certificate and metadata, and
// the peer's info.json). The tests feed those responses to sp.ValidateResponse for every
// signing placement, algorithm and flow each peer offers; docs/interop.md holds the table.
//
// Run with:
//
//	go test ./internal/interop/
//
// A peer whose packages are absent is skipped with the apt-get line that installs it.
package interop
