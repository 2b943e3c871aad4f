package main

// The demo IdP's App Federation Metadata Url. The library's metadata.Fetcher takes
// https URLs on public addresses only, which is right for a service whose customers type
// these URLs, and the demo IdP runs on 127.0.0.1. So the demo IdP serves its metadata
// over https on a loopback address with a certificate authority of its own, and only
// URLs on that server go through its demo-only fetcher (loopback only, that CA only);
// every other metadata URL (a real Entra tenant's) goes through the default Fetcher.

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssokit/saml/internal/demoidp"
	"github.com/ssokit/saml/metadata"
)

// DefaultDemoMetadataAddr is where the demo IdP serves its federation metadata over
// https. A fixed port keeps an organization's stored metadata URL valid across restarts.
const DefaultDemoMetadataAddr = "127.0.0.1:8443"

// startDemoMetadata serves demo's federation metadata over https at addr.
func startDemoMetadata(demo *demoidp.IdP, addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if _, err := demo.StartMetadataTLS(addr); err != nil {
		return fmt.Errorf("demo IdP metadata server at %s (-demo-metadata-addr): %w", addr, err)
	}
	return nil
}

// metadataFetcher is what the app fetches metadata URLs with: the default Fetcher, and
// the demo-only one for the demo IdP's metadata server alone. Nil (sp/orgs's default)
// without the demo IdP.
func metadataFetcher(demo *demoidp.IdP) (metadata.Getter, error) {
	if demo == nil || demo.MetadataServer() == nil {
		return nil, nil
	}
	ms := demo.MetadataServer()
	f, err := ms.UnsafeDemoOnlyFetcher()
	if err != nil {
		return nil, err
	}
	return demoAwareFetcher{prefix: ms.URL() + "/", demo: f, def: &metadata.Fetcher{}}, nil
}

type demoAwareFetcher struct {
	prefix    string // https://127.0.0.1:<port>/
	demo, def *metadata.Fetcher
}

func (f demoAwareFetcher) Fetch(ctx context.Context, u string, v metadata.Validators) (*metadata.Fetched, error) {
	if strings.HasPrefix(u, f.prefix) {
		return f.demo.Fetch(ctx, u, v)
	}
	return f.def.Fetch(ctx, u, v)
}

// demoMetadataURL is the demo IdP's App Federation Metadata Url for the organization
// slug, empty without the demo IdP.
func (a *App) demoMetadataURL(slug string) string {
	if a.demo == nil || a.demo.MetadataServer() == nil {
		return ""
	}
	return a.demo.MetadataServer().AppFederationMetadataURL(a.sso.Endpoints(slug).EntityID)
}
