package orgs

import (
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// Trust is what an organization's members are verified against now, and what its
// admin should know about it: for the settings page and the admin's list of
// organizations.
type Trust struct {
	// Version is the active version; 0 when SSO is not enabled, and then nothing else
	// is set.
	Version int
	// IdP is the active version's IdP as members are verified against it now: a
	// metadata URL's current document (certificates added at the IdP appear here after a
	// refresh) or the pasted certificates.
	IdP *metadata.IdP
	// Signers says which of IdP's certificates signs and what to do about the others,
	// from the members' sign-ins in the log ("Entra still signs with X; the new
	// certificate Y has not signed yet", "certificate Z has not signed in N days —
	// remove it?").
	Signers *sp.SignerReport
	// Expiring are IdP's certificates expiring within 60, 30 or 7 days, or expired
	// (certs.ExpiringCertificates, labelled with the organization's ID).
	Expiring []certs.ExpiryWarning
}

// TrustSignIns is how many of the newest sign-in log entries Trust reads for its
// signer report.
const TrustSignIns = 500

// Trust reports on orgID's active trust (ActionView). A certificate counts as having
// signed when a member's sign-in it verified is among the newest TrustSignIns log
// entries, so one that signed only long ago reads as "has not signed".
func (m *Manager) Trust(r *http.Request, orgID string) (*Trust, error) {
	if _, err := m.authorize(r, orgID, ActionView); err != nil {
		return nil, err
	}
	ctx := r.Context()
	cur, err := m.activeFor(ctx, orgID)
	switch {
	case errors.Is(err, ErrNotFound):
		return &Trust{}, nil
	case err != nil:
		return nil, err
	case !cur.enabled:
		return &Trust{}, nil
	}
	idp := cur.idp
	if s := cur.org.Active.Settings; s.MetadataURL != "" {
		// The Remote's document now (the active SP may be cached for RefreshInterval;
		// an unknown-signer refetch may have moved it on since).
		if idp, err = m.remoteIdP(ctx, orgID, s); err != nil {
			return nil, err
		}
	}
	log, err := m.cfg.Store.SignIns(ctx, orgID, TrustSignIns)
	if err != nil {
		return nil, err
	}
	last, newest := map[string]time.Time{}, ""
	for _, e := range log { // newest first
		if e.Result == Succeeded && !e.Test && e.Signer != "" {
			if newest == "" {
				newest = e.Signer
			}
			if e.At.After(last[e.Signer]) {
				last[e.Signer] = e.At
			}
		}
	}
	// Sign-ins within one tick of the clock tie on time; the log's order says which
	// certificate signed last, and ReportSigners takes the first of equals.
	report := *idp
	report.Certificates = nil
	for _, c := range idp.Certificates {
		if certs.Thumbprint(c) == newest {
			report.Certificates = append([]*x509.Certificate{c}, report.Certificates...)
		} else {
			report.Certificates = append(report.Certificates, c)
		}
	}
	now := m.now()
	return &Trust{
		Version:  cur.number,
		IdP:      idp,
		Signers:  sp.ReportSigners(&report, last, now, 0),
		Expiring: certs.ExpiringCertificates(orgID, idp.Certificates, now),
	}, nil
}
