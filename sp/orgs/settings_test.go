package orgs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp/orgs"
)

// The messages for a mis-pasted Login URL or entity ID are package metadata's (FromAzure
// for Entra addresses, NewIdP for other IdPs), under the form field they concern, so
// every app shows the same: what was found and what to paste instead.
func TestSettingsMessagesAreMetadatas(t *testing.T) {
	cert := samltest.CertPEM(samltest.DefaultIdP().Cert)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, c := range []struct {
		name, loginURL, entityID, field string
		metadataErr                     func() error
	}{
		{"Entra Identifier as Login URL", "https://sts.windows.net/" + tid + "/", "", orgs.FieldLoginURL,
			func() error { _, err := metadata.FromAzure("https://sts.windows.net/"+tid+"/", cert); return err }},
		{"App Federation Metadata Url as Login URL", "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml?appid=1", "", orgs.FieldLoginURL,
			func() error {
				_, err := metadata.FromAzure("https://login.microsoftonline.com/"+tid+"/federationmetadata/2007-06/federationmetadata.xml?appid=1", cert)
				return err
			}},
		{"My Apps URL", "https://myapps.microsoft.com/signin/app/1", "", orgs.FieldLoginURL,
			func() error {
				_, err := metadata.FromAzure("https://myapps.microsoft.com/signin/app/1", cert)
				return err
			}},
		{"plain http IdP", "http://idp.example/sso", "https://idp.example", orgs.FieldLoginURL,
			func() error {
				_, err := metadata.NewIdP("https://idp.example", "http://idp.example/sso", cert)
				return err
			}},
		{"certificate as entity ID", "https://idp.example/sso", "-----BEGIN CERTIFICATE-----", orgs.FieldIdPEntityID,
			func() error {
				_, err := metadata.NewIdP("-----BEGIN CERTIFICATE-----", "https://idp.example/sso", cert)
				return err
			}},
	} {
		_, err := orgs.Validate(orgs.Settings{LoginURL: c.loginURL, IdPEntityID: c.entityID, Certificate: cert}, now)
		var se *orgs.SettingsError
		if !errors.As(err, &se) || se.Fields[c.field] == "" {
			t.Errorf("%s: %v, want a message on %s", c.name, err, c.field)
			continue
		}
		ps := metadata.Problems(c.metadataErr())
		if len(ps) != 1 || ps[0].Hint == "" {
			t.Fatalf("%s: control: metadata gives %v", c.name, ps)
		}
		got := se.Fields[c.field]
		if !strings.Contains(got, ps[0].Found) || !strings.Contains(strings.ToLower(got), strings.ToLower(ps[0].Hint)) {
			t.Errorf("%s: message %q lacks metadata's found %q and hint %q", c.name, got, ps[0].Found, ps[0].Hint)
		}
		if len(se.Fields) != 1 {
			t.Errorf("%s: messages on %d fields, want only %s: %v", c.name, len(se.Fields), c.field, se.Fields)
		}
	}
}
