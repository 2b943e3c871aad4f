package sp

import (
	"context"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
)

// BenchmarkRefreshingValidateResponse is ValidateResponse through a metadata.Remote
// (IdP lookup, cached SP) next to the plain SP on the same response: the difference is
// what a metadata URL costs per login.
func BenchmarkRefreshingValidateResponse(b *testing.B) {
	idp := samltest.DefaultIdP()
	form := samltest.Encode(idp.MustResponse(b, samltest.Options{}))
	server := &memoryIdP{}
	server.publish(idp)
	remote, err := metadata.NewRemote(metadata.RemoteConfig{URL: testMetadataURL, Fetcher: server, Now: func() time.Time { return samltest.Now }})
	if err != nil {
		b.Fatal(err)
	}
	cfg := genConfig(idp)
	cfg.ReplayCache = forgetful{}
	plain, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	cfg.IdP = nil
	r, err := NewRefreshing(cfg, remote)
	if err != nil {
		b.Fatal(err)
	}
	for name, validate := range map[string]func() error{
		"plain SP": func() error {
			_, err := plain.ValidateResponse(context.Background(), form, samltest.RequestID)
			return err
		},
		"refreshing": func() error {
			_, err := r.ValidateResponse(context.Background(), form, samltest.RequestID)
			return err
		},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
