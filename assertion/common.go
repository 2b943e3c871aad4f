package assertion

// Names other IdPs (Shibboleth, SimpleSAMLphp, pysaml2, AD FS with LDAP attributes) use
// for the facts Entra sends as ClaimEmail and ClaimDisplayName. Email and DisplayName
// fall back to them, in this order, when the Entra claim is absent.
const (
	AttrMailOID        = "urn:oid:0.9.2342.19200300.100.1.3" // LDAP mail
	AttrDisplayNameOID = "urn:oid:2.16.840.1.113730.3.1.241" // LDAP displayName
)

// firstOf returns the first value of the first of names the assertion carries.
func (a *Assertion) firstOf(names ...string) string {
	for _, n := range names {
		if v := a.First(n); v != "" {
			return v
		}
	}
	return ""
}
