// Package bench compares the cost of validating one Entra-shaped SAML response with
// this module's sp.ValidateResponse, crewjam/saml's ServiceProvider.ParseXMLResponse and
// gosaml2's RetrieveAssertionInfo, and with a floor no validator can go under. The
// competitors are imported only by this package's tests, so they never become
// dependencies of code that imports the library.
//
// Run scripts/bench from the module root for a table of medians and ratios, or
//
//	go test -run '^$' -bench . -benchmem -count 10 ./bench
//
// What is measured, so the numbers compare equal work:
//
//   - The input is internal/samltest's default response (Entra's wire shape, nine
//     claims, RSA-2048, RSA-SHA256, exclusive C14N), assertion-signed (Entra's default)
//     and response-and-assertion-signed, validated at samltest.Now by every library.
//     TestSameWork checks first that all three accept it, read the same NameID and nine
//     attributes, and reject it once a signed value changes.
//   - ours takes the base64 form value (its API) and records the assertion ID in a replay
//     cache (a locked map; the benchmark forgets what was recorded after each call so the
//     next iteration is not a replay). crewjam is given the decoded bytes (its API), so it is
//     not charged for base64; it has no replay cache by default. gosaml2 takes the base64
//     value and is followed by the checks it leaves to the application: time window and
//     audience (reported only as warnings) and SubjectConfirmationData InResponseTo.
//   - floor is one etree parse of the document plus one RSA-2048 PKCS#1 v1.5 SHA-256
//     verification, the least any XML-DSig validator must do (both-signed responses need
//     a second verification on top).
//   - cpu-ns/op is process CPU time per operation (all threads, GC included); on a shared
//     machine it is steadier than wall time.
//
// BenchmarkReject times junk an attacker can post for free (oversized, DOCTYPE, not a
// Response, forged and tampered signatures); TestJunkIsRejected checks each is refused.
package bench
