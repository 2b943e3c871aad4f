// Package sp makes a Go web application a SAML 2.0 service provider (SP) for one
// identity provider, Microsoft Entra ID first.
//
// Configure it with the two values you give the IdP (Entity ID and ACS URL) and the two
// it gives you (Login URL and signing certificate), then validate what is posted to the
// ACS URL:
//
//	idp, err := metadata.FromAzure(loginURL, certificatePEM)
//	provider, err := sp.New(sp.Config{
//		EntityID: "https://app.example/saml",
//		ACSURL:   "https://app.example/saml/consume",
//		IdP:      idp,
//	})
//	// in the ACS handler:
//	a, err := provider.ValidateResponse(r.Context(), r.PostFormValue("SAMLResponse"), requestIDs...)
//	if err != nil {
//		log.Print(err)                                       // precise, for the admin
//		http.Error(w, sp.UserMessage(err), http.StatusForbidden) // generic, for the user
//		return
//	}
//	// a.NameID.Value, a.ObjectID(), a.Email() … identify the user.
//
// ValidateResponse parses the response once, after a gate that refuses DTDs, entities
// and oversized input (Limits); accepts exactly one assertion, a direct child of the
// Response; checks every signature only against the configured IdP certificates, under
// a strict profile (one reference to the signed element, exclusive C14N, RSA-SHA256 or
// stronger); then Status, Destination, Issuer, the bearer Recipient, time windows
// (ClockSkew), Audience and InResponseTo; and accepts each assertion ID once
// (ReplayCache). Every value it returns is read from what the signature covered.
//
// Rejections wrap one of the Err… kinds (errors.Is) and are *Error values naming what
// was expected and what arrived. Diagnose runs the same checks and reports all of them,
// for an admin's "Test SAML configuration" page.
package sp
