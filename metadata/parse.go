package metadata

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/certs"
)

// ParseIdP reads an IdP's SAML metadata: an EntityDescriptor, or an EntitiesDescriptor
// that holds exactly one SAML 2.0 IdP (use ParseIdPEntity to pick one of several).
// Entra's federation metadata works as downloaded; its WS-Federation RoleDescriptors
// are ignored and only the SAML 2.0 IDPSSODescriptor is read.
//
// Certificates are every distinct signing certificate of the IDPSSODescriptor
// (KeyDescriptor use="signing" or without use), in document order: during a
// rollover Entra lists the current and the next one, and both must be trusted.
//
// ParseIdP does not check the metadata's own signature: it trusts whoever handed over
// the file. Use ParseSignedIdP when the file comes through a channel that is not.
func ParseIdP(data []byte) (*IdP, error) {
	return ParseIdPEntity(data, "")
}

// ParseIdPEntity is ParseIdP for the entity whose entityID is entityID, which may be
// nested in EntitiesDescriptors. An empty entityID means the only IdP in data.
func ParseIdPEntity(data []byte, entityID string) (*IdP, error) {
	root, err := readTree(data)
	if err != nil {
		return nil, err
	}
	ent, err := pickEntity(root, entityID)
	if err != nil {
		return nil, err
	}
	return idpFromEntity(ent)
}

// pickEntity finds the EntityDescriptor to read under root.
func pickEntity(root *etree.Element, entityID string) (*etree.Element, error) {
	entityID = strings.TrimSpace(entityID)
	switch {
	case is(root, nsMetadata, "EntityDescriptor"):
		if entityID != "" && attr(root, "entityID") != entityID {
			return nil, &Error{Kind: ErrNoIdP, Field: "entityID", Found: fmt.Sprintf("%q", attr(root, "entityID")), Expected: fmt.Sprintf("%q", entityID)}
		}
		return root, nil
	case is(root, nsMetadata, "EntitiesDescriptor"):
		var all, idps []*etree.Element
		collectEntities(root, &all)
		for _, e := range all {
			if entityID != "" && attr(e, "entityID") == entityID {
				return e, nil
			}
			if len(samlIdPDescriptors(e)) > 0 {
				idps = append(idps, e)
			}
		}
		if entityID != "" {
			return nil, &Error{Kind: ErrNoIdP, Field: "entityID", Found: fmt.Sprintf("%d entities, none with entityID %q", len(all), entityID)}
		}
		switch len(idps) {
		case 1:
			return idps[0], nil
		case 0:
			return nil, &Error{Kind: ErrNoIdP, Found: fmt.Sprintf("an EntitiesDescriptor with %d entities and no SAML 2.0 IdP", len(all))}
		}
		var ids []string
		for _, e := range idps[:min(len(idps), 5)] {
			ids = append(ids, fmt.Sprintf("%q", attr(e, "entityID")))
		}
		return nil, &Error{Kind: ErrNoIdP, Found: fmt.Sprintf("%d IdPs (%s…)", len(idps), strings.Join(ids, ", ")),
			Expected: "exactly one", Hint: "upload the metadata of the one IdP this app should trust, or name its entity ID"}
	}
	return nil, &Error{Kind: ErrNoIdP, Field: "root element", Found: qname(root),
		Expected: "{" + nsMetadata + "}EntityDescriptor or EntitiesDescriptor"}
}

func collectEntities(el *etree.Element, out *[]*etree.Element) {
	for _, c := range el.ChildElements() {
		switch {
		case is(c, nsMetadata, "EntityDescriptor"):
			*out = append(*out, c)
		case is(c, nsMetadata, "EntitiesDescriptor"):
			collectEntities(c, out)
		}
	}
}

// samlIdPDescriptors are the entity's IDPSSODescriptors that support SAML 2.0.
func samlIdPDescriptors(ent *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, d := range children(ent, nsMetadata, "IDPSSODescriptor") {
		if slices.Contains(strings.Fields(attr(d, "protocolSupportEnumeration")), ProtocolSAML20) {
			out = append(out, d)
		}
	}
	return out
}

func idpFromEntity(ent *etree.Element) (*IdP, error) {
	idp := &IdP{EntityID: attr(ent, "entityID")}
	if idp.EntityID == "" {
		return nil, &Error{Kind: ErrNoIdP, Field: "entityID", Found: "an EntityDescriptor without entityID"}
	}
	descs := samlIdPDescriptors(ent)
	if len(descs) == 0 {
		found := "an entity without a SAML 2.0 IDPSSODescriptor"
		if len(children(ent, nsMetadata, "SPSSODescriptor")) > 0 {
			found = "service provider metadata (SPSSODescriptor)"
		}
		return nil, &Error{Kind: ErrNoIdP, Found: found, Expected: "the identity provider's metadata (Entra: \"Federation Metadata XML\")"}
	}
	seen := map[string]bool{}
	for _, d := range descs {
		for i, kd := range children(d, nsMetadata, "KeyDescriptor") {
			if use := attr(kd, "use"); use != "" && use != "signing" {
				continue
			}
			cs, err := keyDescriptorCerts(kd)
			if err != nil {
				return nil, &Error{Kind: ErrCertificate, Field: fmt.Sprintf("IDPSSODescriptor KeyDescriptor %d", i+1), Err: err}
			}
			for _, c := range cs {
				if fp := certs.Fingerprint256(c); !seen[fp] {
					seen[fp] = true
					idp.Certificates = append(idp.Certificates, c)
				}
			}
		}
	}
	if err := certs.CheckSigning(idp.Certificates); err != nil {
		return nil, &Error{Kind: ErrCertificate, Field: "IDPSSODescriptor signing KeyDescriptors", Err: err}
	}
	if len(idp.Certificates) == 0 {
		return nil, &Error{Kind: ErrNoIdP, Field: "IDPSSODescriptor", Found: "no signing certificate (KeyDescriptor/KeyInfo/X509Data/X509Certificate)"}
	}
	var err error
	if idp.SSOURL, idp.SSOBinding, err = endpoint(descs, "SingleSignOnService"); err != nil {
		return nil, err
	}
	if idp.SSOURL == "" {
		return nil, &Error{Kind: ErrNoIdP, Field: "IDPSSODescriptor", Found: "no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding"}
	}
	if idp.SLOURL, idp.SLOBinding, err = endpoint(descs, "SingleLogoutService"); err != nil {
		return nil, err
	}
	idp.LogoutResponseIssuer = entraLogoutIssuer(idp.SLOURL, idp.EntityID)
	return idp, nil
}

func keyDescriptorCerts(kd *etree.Element) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, ki := range children(kd, nsDSig, "KeyInfo") {
		for _, xd := range children(ki, nsDSig, "X509Data") {
			for _, xc := range children(xd, nsDSig, "X509Certificate") {
				cs, err := certs.Parse([]byte(xc.Text()))
				if err != nil {
					return nil, err
				}
				out = append(out, cs...)
			}
		}
	}
	return out, nil
}

// endpoint returns the Location of the first {md}name endpoint with the HTTP-Redirect
// binding, else the first with HTTP-POST, and that binding.
func endpoint(descs []*etree.Element, name string) (location, binding string, err error) {
	for _, want := range []string{BindingHTTPRedirect, BindingHTTPPost} {
		for _, d := range descs {
			for _, ep := range children(d, nsMetadata, name) {
				if attr(ep, "Binding") != want {
					continue
				}
				loc := attr(ep, "Location")
				if u, perr := url.Parse(loc); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return "", "", &Error{Kind: ErrNoIdP, Field: name + " Location", Found: fmt.Sprintf("%q", loc), Expected: "an absolute http(s) URL"}
				}
				return loc, want, nil
			}
		}
	}
	return "", "", nil
}
