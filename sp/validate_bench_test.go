package sp

import (
	"context"
	"fmt"
	"testing"

	"github.com/ssokit/saml/internal/samltest"
)

// BenchmarkValidateResponse measures the whole pipeline on Entra-shaped responses. The
// replay cache is replaced by one that forgets, so every iteration does the full work.
// bench/ compares the same work with crewjam/saml and gosaml2.
func BenchmarkValidateResponse(b *testing.B) {
	idp := samltest.DefaultIdP()
	groups := make([]string, 5000)
	for i := range groups {
		groups[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	}
	cases := []struct {
		name string
		opts samltest.Options
	}{
		{"assertion signed", samltest.Options{}},
		{"both signed", samltest.Options{Sign: samltest.SignBoth}},
		{"5000 groups", samltest.Options{Groups: groups}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := genConfig(idp)
			cfg.ReplayCache = forgetful{}
			s, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			form := samltest.Encode(idp.MustResponse(b, c.opts))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ValidateResponse(context.Background(), form, samltest.RequestID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
