package bench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
)

// validator is one library's way to accept a response. It returns the subject's NameID
// and how many attributes it read, so TestSameWork can show every library did the same job.
type validator func() (nameID string, attributes int, err error)

// ours validates through sp.ValidateResponse with a real replay check: the cache is a
// map behind a mutex, and the benchmark forgets what was recorded after each call (the
// assertion and request keys; counted in the time) so the next iteration is not a replay.
func ours(tb testing.TB, f fixture) validator {
	cache := newReplayCache()
	s, err := sp.New(sp.Config{
		EntityID:    samltest.SPEntityID,
		ACSURL:      samltest.ACSURL,
		IdP:         samltest.DefaultIdP().Metadata(),
		Now:         clock,
		ReplayCache: cache,
	})
	if err != nil {
		tb.Fatalf("sp.New: %v", err)
	}
	ctx := context.Background()
	return func() (string, int, error) {
		a, err := s.ValidateResponse(ctx, f.form, samltest.RequestID)
		if err != nil {
			return "", 0, err
		}
		cache.forgetAll()
		return a.NameID.Value, len(a.Attributes), nil
	}
}

// crewjam validates with crewjam/saml's ServiceProvider.ParseXMLResponse. It is given the
// decoded bytes (its API), so the base64 decode that ours pays is not charged to it.
func crewjam(tb testing.TB, f fixture) validator {
	acs, err := url.Parse(samltest.ACSURL)
	if err != nil {
		tb.Fatal(err)
	}
	s := &saml.ServiceProvider{
		EntityID: samltest.SPEntityID,
		AcsURL:   *acs,
		IDPMetadata: &saml.EntityDescriptor{
			EntityID: samltest.IssuerFor(samltest.TenantID),
			IDPSSODescriptors: []saml.IDPSSODescriptor{{SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
				KeyDescriptors: []saml.KeyDescriptor{{
					Use: "signing",
					KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{
						{Data: base64.StdEncoding.EncodeToString(f.cert.Raw)},
					}}},
				}},
			}}}},
		},
		Clock: dsig.NewFakeClockAt(now),
	}
	ids := []string{samltest.RequestID}
	return func() (string, int, error) {
		a, err := s.ParseXMLResponse(f.xml, ids, *acs)
		if err != nil {
			var ire *saml.InvalidResponseError
			if errors.As(err, &ire) {
				err = ire.PrivateErr
			}
			return "", 0, err
		}
		n := 0
		for _, st := range a.AttributeStatements {
			n += len(st.Attributes)
		}
		return a.Subject.NameID.Value, n, nil
	}
}

// gosaml2 validates with gosaml2's RetrieveAssertionInfo plus the checks it leaves to the
// application: time and audience come back as warnings, and InResponseTo is never compared.
func gosaml2(tb testing.TB, f fixture) validator {
	s := &saml2.SAMLServiceProvider{
		IdentityProviderIssuer:      samltest.IssuerFor(samltest.TenantID),
		AssertionConsumerServiceURL: samltest.ACSURL,
		ServiceProviderIssuer:       samltest.SPEntityID,
		AudienceURI:                 samltest.SPEntityID,
		IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{f.cert}},
		Clock:                       dsig.NewFakeClockAt(now),
	}
	return func() (string, int, error) {
		info, err := s.RetrieveAssertionInfo(f.form)
		if err != nil {
			return "", 0, err
		}
		if info.WarningInfo.InvalidTime {
			return "", 0, errors.New("gosaml2: outside the validity window")
		}
		if info.WarningInfo.NotInAudience {
			return "", 0, errors.New("gosaml2: not in audience")
		}
		scd := info.Assertions[0].Subject.SubjectConfirmation.SubjectConfirmationData
		if scd == nil || scd.InResponseTo != samltest.RequestID {
			return "", 0, errors.New("gosaml2: InResponseTo does not match")
		}
		return info.NameID, len(info.Values), nil
	}
}

var libraries = []struct {
	name string
	make func(testing.TB, fixture) validator
}{
	{"ours", ours},
	{"crewjam", crewjam},
	{"gosaml2", gosaml2},
}

// TestSameWork shows that every library accepts each fixture and reads the same subject
// and attributes from it, and rejects it once a signed attribute value changes; otherwise
// the benchmarks would not compare like with like.
func TestSameWork(t *testing.T) {
	for _, f := range fixtures(t) {
		for _, lib := range libraries {
			t.Run(f.name+"/"+lib.name, func(t *testing.T) {
				id, n, err := lib.make(t, f)()
				if err != nil {
					t.Fatalf("rejected the fixture: %v", err)
				}
				if id != samltest.UserEmail || n != claimCount {
					t.Errorf("read NameID %q and %d attributes, want %q and %d", id, n, samltest.UserEmail, claimCount)
				}

				tampered := f
				tampered.xml = bytes.Replace(f.xml, []byte(samltest.UserDisplayName), []byte("Mallory Van"), 1)
				tampered.form = base64.StdEncoding.EncodeToString(tampered.xml)
				if _, _, err := lib.make(t, tampered)(); err == nil {
					t.Errorf("accepted a response whose signed displayname was changed")
				}
			})
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, f := range fixtures(b) {
		for _, lib := range libraries {
			b.Run(f.name+"/"+lib.name, func(b *testing.B) {
				validate := lib.make(b, f)
				if _, _, err := validate(); err != nil {
					b.Fatalf("rejected the fixture: %v", err)
				}
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					if _, _, err := validate(); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
			})
		}
		b.Run(f.name+"/floor", func(b *testing.B) { benchFloor(b, f) })
	}
}

// benchFloor measures what no validator can avoid: one etree parse of the document and
// one RSA-2048 PKCS#1 v1.5 verification of a SHA-256 digest over the document's SignedInfo.
func benchFloor(b *testing.B, f fixture) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(f.xml); err != nil {
		b.Fatal(err)
	}
	si := etree.NewDocument()
	si.SetRoot(doc.FindElement("//SignedInfo").Copy())
	signedInfo, err := si.WriteToBytes()
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256(signedInfo)
	sig, err := rsa.SignPKCS1v15(nil, f.key, crypto.SHA256, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(f.xml); err != nil {
			b.Fatal(err)
		}
		digest := sha256.Sum256(signedInfo)
		if err := rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU adds the process CPU time per operation since start as cpu-ns/op.
func reportCPU(b *testing.B, start int64) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
