package demoidp

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/certs"
)

// MaxCertificates is how many SAML signing certificates the demo keeps at once.
const MaxCertificates = 4

// Errors of the certificate actions, for errors.Is.
var (
	ErrUnknownCertificate = errors.New("demoidp: no such certificate")
	ErrActiveCertificate  = errors.New("demoidp: the active certificate can't be deleted")
	ErrTooManyCertificate = errors.New("demoidp: too many certificates")
)

// Certificate is one of the SAML signing certificates, a row of Entra's "SAML
// Certificates" section.
type Certificate struct {
	Thumbprint  string // certs.Thumbprint: upper-case SHA-1 hex, as Entra shows it
	Certificate *x509.Certificate
	Active      bool // "Active": this one signs; the others are "Inactive"
}

// Certificates lists the signing certificates, the active one first, then in the order
// they were added. Federation metadata publishes all of them.
func (d *IdP) Certificates() []Certificate {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.certificatesLocked()
}

func (d *IdP) certificatesLocked() []Certificate {
	out := []Certificate{{Thumbprint: certs.Thumbprint(d.active.Certificate), Certificate: d.active.Certificate, Active: true}}
	for _, kp := range d.keys {
		if kp != d.active {
			out = append(out, Certificate{Thumbprint: certs.Thumbprint(kp.Certificate), Certificate: kp.Certificate})
		}
	}
	return out
}

// NewCertificate adds a fresh signing certificate, inactive, as an Entra admin does with
// "New Certificate" and Save: federation metadata publishes it at once, but the active
// certificate keeps signing until MakeCertificateActive.
func (d *IdP) NewCertificate() (Certificate, error) {
	// Newer than every certificate there, as Entra's are (an SP tells the new one from
	// the old by its dates), even when the demo's clock stands still.
	notBefore := d.now().Add(-time.Hour)
	for _, c := range d.Certificates() {
		if !c.Certificate.NotBefore.Before(notBefore) {
			notBefore = c.Certificate.NotBefore.Add(time.Second)
		}
	}
	kp, err := certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate (demo)", notBefore, 3*365*24*time.Hour)
	if err != nil {
		return Certificate{}, fmt.Errorf("demoidp: generating a signing key: %w", err)
	}
	return d.AddCertificate(kp)
}

// AddCertificate adds kp as an inactive signing certificate (Entra's "Import
// Certificate"). Adding one that is already there changes nothing.
func (d *IdP) AddCertificate(kp *certs.KeyPair) (Certificate, error) {
	if kp == nil || kp.Key == nil || kp.Certificate == nil {
		return Certificate{}, errors.New("demoidp: a signing certificate needs both a private key and a certificate")
	}
	tp := certs.Thumbprint(kp.Certificate)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.certificatesLocked() {
		if c.Thumbprint == tp {
			return c, nil
		}
	}
	if len(d.keys) >= MaxCertificates {
		return Certificate{}, fmt.Errorf("%w: at most %d; delete an inactive one first", ErrTooManyCertificate, MaxCertificates)
	}
	d.keys = append(d.keys, kp)
	return Certificate{Thumbprint: tp, Certificate: kp.Certificate}, nil
}

// MakeCertificateActive makes the certificate with this thumbprint the one that signs,
// as Entra's "Make certificate active": the next response and logout message are signed
// with it. The previously active one stays published, inactive, until deleted.
func (d *IdP) MakeCertificateActive(thumbprint string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	kp := d.findLocked(thumbprint)
	if kp == nil {
		return fmt.Errorf("%w: %s", ErrUnknownCertificate, thumbprint)
	}
	if kp == d.active {
		return nil
	}
	d.active = kp
	cj := *d.idp.Load() // crewjam's copy signs what it signs itself (error responses) with the new key
	cj.Signer, cj.Certificate = kp.Key, kp.Certificate
	d.idp.Store(&cj)
	return nil
}

// DeleteCertificate removes an inactive certificate; federation metadata stops
// publishing it. Entra refuses to delete the active certificate, and so does this.
func (d *IdP) DeleteCertificate(thumbprint string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	kp := d.findLocked(thumbprint)
	switch {
	case kp == nil:
		return fmt.Errorf("%w: %s", ErrUnknownCertificate, thumbprint)
	case kp == d.active:
		return fmt.Errorf("%w (%s): make another certificate active first", ErrActiveCertificate, thumbprint)
	}
	for i, k := range d.keys {
		if k == kp {
			d.keys = append(d.keys[:i:i], d.keys[i+1:]...)
			break
		}
	}
	return nil
}

func (d *IdP) findLocked(thumbprint string) *certs.KeyPair {
	tp := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(thumbprint), ":", ""))
	for _, kp := range d.keys {
		if certs.Thumbprint(kp.Certificate) == tp {
			return kp
		}
	}
	return nil
}

// signingKey is the active key.
func (d *IdP) signingKey() *certs.KeyPair {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.active
}

// AppID is the Application ID Entra would show for the application spEntityID: a GUID,
// here derived from the entity ID so that it is stable across restarts.
func AppID(spEntityID string) string {
	h := sha256.Sum256([]byte("demoidp app " + spEntityID))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// AppFederationMetadataURL is the application's "App Federation Metadata Url" on the
// IdP's own BaseURL: <base>/<tenant-id>/federationmetadata/2007-06/federationmetadata.xml?appid=<app-id>.
// The library's metadata fetcher takes https URLs on public addresses only; for a demo on
// loopback see StartMetadataTLS.
func (d *IdP) AppFederationMetadataURL(spEntityID string) string {
	return d.MetadataURL() + "?appid=" + AppID(spEntityID)
}

// serveFederationMetadata answers the federation metadata URL, tenant-wide or, with
// ?appid=, for one registered application. The document is the same bytes until the
// certificates or endpoints change, so its ETag makes a conditional GET answer 304.
func (d *IdP) serveFederationMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if appID := r.URL.Query().Get("appid"); appID != "" && !d.hasAppID(appID) {
		http.Error(w, "AADSTS700016: Application with identifier '"+appID+"' was not found in the directory '"+d.tenant+"'.", http.StatusNotFound)
		return
	}
	doc, err := d.FederationMetadata()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(doc)
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	w.Header().Set("Cache-Control", "max-age=60")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(doc))
}

func (d *IdP) hasAppID(appID string) bool {
	for _, a := range d.Apps() {
		if strings.EqualFold(AppID(a.EntityID), appID) {
			return true
		}
	}
	return false
}

// FederationMetadata is the federation metadata document as Entra shapes it: an
// EntityDescriptor signed (enveloped, exclusive C14N, RSA-SHA256) with the active key,
// a WS-Federation RoleDescriptor and an IDPSSODescriptor each listing every signing
// certificate (active first) as a KeyDescriptor use="signing", the Logout URL and the
// Login URL for HTTP-Redirect and HTTP-POST.
func (d *IdP) FederationMetadata() ([]byte, error) {
	d.mu.RLock()
	list := d.certificatesLocked()
	active := d.active
	d.mu.RUnlock()

	h := sha256.New()
	for _, c := range list {
		h.Write(c.Certificate.Raw)
	}
	h.Write([]byte(d.LoginURL()))
	id := fmt.Sprintf("_%x", h.Sum(nil)[:16]) // same document, same ID: the ETag stays

	doc := etree.NewDocument()
	ed := doc.CreateElement("EntityDescriptor")
	ed.CreateAttr("ID", id)
	ed.CreateAttr("entityID", d.EntityID())
	ed.CreateAttr("xmlns", "urn:oasis:names:tc:SAML:2.0:metadata")
	keys := func(parent *etree.Element) {
		for _, c := range list {
			kd := parent.CreateElement("KeyDescriptor")
			kd.CreateAttr("use", "signing")
			ki := kd.CreateElement("KeyInfo")
			ki.CreateAttr("xmlns", dsig.Namespace)
			ki.CreateElement("X509Data").CreateElement("X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Certificate.Raw))
		}
	}
	rd := ed.CreateElement("RoleDescriptor")
	rd.CreateAttr("xsi:type", "fed:SecurityTokenServiceType")
	rd.CreateAttr("protocolSupportEnumeration", "http://docs.oasis-open.org/wsfed/federation/200706")
	rd.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	rd.CreateAttr("xmlns:fed", "http://docs.oasis-open.org/wsfed/federation/200706")
	keys(rd)
	idp := ed.CreateElement("IDPSSODescriptor")
	idp.CreateAttr("protocolSupportEnumeration", "urn:oasis:names:tc:SAML:2.0:protocol")
	keys(idp)
	endpoint := func(name, binding string) {
		e := idp.CreateElement(name)
		e.CreateAttr("Binding", binding)
		e.CreateAttr("Location", d.LoginURL())
	}
	endpoint("SingleLogoutService", saml.HTTPRedirectBinding)
	endpoint("SingleSignOnService", saml.HTTPRedirectBinding)
	endpoint("SingleSignOnService", saml.HTTPPostBinding)

	ctx, err := dsig.NewSigningContext(active.Key, [][]byte{active.Certificate.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Prefix = ""
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	signed, err := ctx.SignEnveloped(ed)
	if err != nil {
		return nil, err
	}
	sig := signed.Child[len(signed.Child)-1]
	signed.RemoveChildAt(len(signed.Child) - 1)
	signed.InsertChildAt(0, sig) // Entra's Signature is the EntityDescriptor's first child
	out := etree.NewDocument()
	out.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	out.SetRoot(signed)
	return out.WriteToBytes()
}

// serveCertificateAction handles the "SAML Certificates" buttons of /apps.
func (d *IdP) serveCertificateAction(w http.ResponseWriter, r *http.Request, action string) {
	var err error
	tp := r.PostFormValue("thumbprint")
	switch action {
	case "new":
		_, err = d.NewCertificate()
	case "activate":
		err = d.MakeCertificateActive(tp)
	case "delete":
		err = d.DeleteCertificate(tp)
	default:
		http.Error(w, "unknown certificate action", http.StatusBadRequest)
		return
	}
	if err != nil {
		d.renderError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "demoidp: "))
		return
	}
	http.Redirect(w, r, d.path("/apps"), http.StatusSeeOther)
}

// certificateRows are the "SAML Certificates" rows of the apps page.
type certificateRow struct {
	Thumbprint, Status, Expires string
	Active                      bool
}

func (d *IdP) certificateRows() []certificateRow {
	var rows []certificateRow
	for _, c := range d.Certificates() {
		st := "Inactive"
		if c.Active {
			st = "Active"
		}
		rows = append(rows, certificateRow{Thumbprint: c.Thumbprint, Status: st, Active: c.Active,
			Expires: c.Certificate.NotAfter.UTC().Format("1/2/2006, 3:04:05 PM")})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Active && !rows[j].Active })
	return rows
}
