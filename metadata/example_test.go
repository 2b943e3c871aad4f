package metadata_test

import (
	"fmt"
	"os"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

func ExampleFromAzure() {
	// pasted stands in for Entra's "Certificate (Base64)" file.
	kp, err := certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate",
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3*365*24*time.Hour)
	if err != nil {
		panic(err)
	}
	pasted := string(kp.CertificatePEM())

	idp, err := metadata.FromAzure("https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2", pasted)
	if err != nil {
		panic(err)
	}
	fmt.Println(idp.EntityID)
	fmt.Println(idp.SSOURL)
	fmt.Println(len(idp.Certificates))

	// A tenant domain instead of the tenant ID cannot give the issuer: an error says so.
	_, err = metadata.FromAzure("https://login.microsoftonline.com/contoso.onmicrosoft.com/saml2", pasted)
	fmt.Println(err != nil)
	// Output:
	// https://sts.windows.net/92b20d54-6bdd-4686-9286-c44865f50277/
	// https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2
	// 1
	// true
}

func ExampleSP_XML() {
	xml, err := metadata.SP{
		EntityID:             "https://app.example/organizations/acme/saml/metadata",
		ACSURL:               "https://app.example/organizations/acme/saml/consume",
		WantAssertionsSigned: true,
	}.XML()
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(xml)
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://app.example/organizations/acme/saml/metadata">
	//   <SPSSODescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="false" WantAssertionsSigned="true">
	//     <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://app.example/organizations/acme/saml/consume" index="1" isDefault="true"></AssertionConsumerService>
	//   </SPSSODescriptor>
	// </EntityDescriptor>
}

// An IdP configured by hand, and the field-level messages a form shows for a bad one.
func ExampleNewIdP() {
	kp, err := certs.GenerateKeyPair("idp.example.com", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 24*time.Hour)
	if err != nil {
		panic(err)
	}
	idp, err := metadata.NewIdP("https://idp.example.com/metadata", "https://idp.example.com/saml/sso", string(kp.CertificatePEM()))
	if err != nil {
		panic(err)
	}
	fmt.Println(idp.EntityID, len(idp.Certificates))

	// The Entra Identifier pasted as the sign-on URL, and no entity ID.
	_, err = metadata.NewIdP("", "https://sts.windows.net/92b20d54-6bdd-4686-9286-c44865f50277/", string(kp.CertificatePEM()))
	for _, p := range metadata.Problems(err) {
		fmt.Printf("%s: %s\n", p.Field, p.Hint)
	}
	// Output:
	// https://idp.example.com/metadata 1
	// Login URL: paste "Login URL" from section 4 ("Set up …") of the application's Single sign-on page in Entra: https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2
	// IdP entity ID: copy it from the IdP's settings or metadata
}
