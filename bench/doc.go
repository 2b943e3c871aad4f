// Package bench compares the cost of validating one Entra-shaped SAML response with
// this module's sp.ValidateResponse, crewjam/saml's ServiceProvider.ParseXMLResponse and
// gosaml2's RetrieveAssertionInfo, and with a floor no validator can go under (one etree
// parse plus one RSA-2048 verify). The competitors are imported only by this package's
// tests, so they never become dependencies of code that imports the library.
//
// Run scripts/bench from the module root for a table of medians and ratios, or
//
//	go test -run '^$' -bench . -benchmem -count 10 ./bench
//
// TestSameWork checks first that all three libraries accept the same response and read
// the same NameID and attributes from it, so the numbers compare equal work.
package bench
