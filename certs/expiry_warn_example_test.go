package certs_test

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/ssokit/saml/certs"
)

// A daily job that mails an organization's admins before its IdP certificate expires,
// at 60, 30 and 7 days as Entra's own notifications do, and weekly once it has expired.
func ExampleExpiryNotifier() {
	kp, err := certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate",
		time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), 3*365*24*time.Hour)
	if err != nil {
		panic(err)
	}
	n := &certs.ExpiryNotifier{Notify: func(w certs.ExpiryWarning) {
		fmt.Printf("mail the Contoso admins: expires in %d days (window %d days)\n", int(w.Left.Hours()/24), int(w.Window.Hours()/24))
	}}
	trusted := []*x509.Certificate{kp.Certificate}
	for _, day := range []string{"2026-03-01", "2026-04-02", "2026-04-03", "2026-05-03", "2026-05-26"} {
		now, _ := time.Parse(time.DateOnly, day)
		n.Check("Contoso", trusted, now)
	}
	// Output:
	// mail the Contoso admins: expires in 59 days (window 60 days)
	// mail the Contoso admins: expires in 28 days (window 30 days)
	// mail the Contoso admins: expires in 5 days (window 7 days)
}
