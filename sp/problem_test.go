package sp

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
)

// codes are the values of the Code… constants, read from the source so that the test
// also proves each is declared once and distinct.
func codes(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "problem.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	seen := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Code") || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok {
			t.Errorf("%s is not a string literal", vs.Names[0].Name)
			return true
		}
		v, _ := strconv.Unquote(lit.Value)
		if other, dup := seen[v]; dup {
			t.Errorf("%s and %s share the code %q", other, vs.Names[0].Name, v)
		}
		seen[v] = vs.Names[0].Name
		out[vs.Names[0].Name] = v
		return true
	})
	return out
}

// #13.4: every piece of advice a rejection carries has a stable code. Structurally:
// every fix(…) names a Code… constant, and every Error literal with a Fix has a
// FixCode.
func TestEveryFixHasACode(t *testing.T) {
	known := codes(t)
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "fix" && len(n.Args) >= 2 {
					c, ok := n.Args[0].(*ast.Ident)
					if !ok || known[c.Name] == "" {
						t.Errorf("%s: fix(…) without a Code… constant", fset.Position(n.Pos()))
					}
					noGoNames(t, fset, n.Args[1])
				}
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "passed" && len(n.Args) == 2 {
					noGoNames(t, fset, n.Args[0])
					noGoNames(t, fset, n.Args[1])
				}
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "failed" && len(n.Args) == 5 {
					noGoNames(t, fset, n.Args[2]) // what the check expected
					noGoNames(t, fset, n.Args[3]) // what arrived
				}
			case *ast.AssignStmt:
				if sel, ok := n.Lhs[0].(*ast.SelectorExpr); ok && (sel.Sel.Name == "Fix" || sel.Sel.Name == "Expected" || sel.Sel.Name == "Received") {
					noGoNames(t, fset, n.Rhs[0])
				}
				// The variables checks build their Expected and Received in.
				if id, ok := n.Lhs[0].(*ast.Ident); ok && len(n.Rhs) == 1 {
					switch id.Name {
					case "want", "got", "expected", "received", "desc":
						noGoNames(t, fset, n.Rhs[0])
					}
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "refusal" && len(n.Elts) == 3 {
					for _, el := range n.Elts {
						noGoNames(t, fset, el)
					}
				}
				if id, ok := n.Type.(*ast.Ident); !ok || id.Name != "Error" {
					return true
				}
				var hasFix, hasCode bool
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						switch kv.Key.(*ast.Ident).Name {
						case "Fix":
							hasFix = true
							noGoNames(t, fset, kv.Value)
						case "FixCode":
							hasCode = true
						case "Expected", "Received":
							noGoNames(t, fset, kv.Value)
						}
					}
				}
				if hasFix && !hasCode {
					t.Errorf("%s: an Error with a Fix but no FixCode", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}

// One shape for every admin-facing problem: a rejected response, unusable IdP settings,
// a pasted certificate that is not one.
func TestProblemOf(t *testing.T) {
	idp := samltest.DefaultIdP()
	cfg := genConfig(idp)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reject := func(o samltest.Options) error {
		_, err := s.ValidateResponse(context.Background(), genResponse(t, idp, o), samltest.RequestID)
		return err
	}
	_, azureErr := metadata.FromAzure("https://portal.azure.com/#home", samltest.CertPEM(idp.Cert))
	_, certErr := certs.Parse([]byte("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"))
	cases := []struct {
		name    string
		err     error
		kind    error
		subject string
		code    string
		params  map[string]string
	}{
		{"wrong audience", reject(samltest.Options{Audience: "https://other.example/"}), ErrAudience, "audience",
			CodeIdentifier, map[string]string{"value": cfg.EntityID}},
		{"wrong recipient", reject(samltest.Options{Recipient: "https://other.example/acs"}), ErrDestination, "recipient",
			CodeReplyURL, map[string]string{"value": cfg.ACSURL}},
		{"unknown signer", func() error {
			_, err := s.ValidateResponse(context.Background(), genResponse(t, samltest.NextIdP(), samltest.Options{}), samltest.RequestID)
			return err
		}(), ErrSignature, "assertion signature", CodeSigningCertificate,
			map[string]string{"thumbprint": certs.Thumbprint(samltest.NextIdP().Cert)}},
		{"Login URL is the portal", azureErr, metadata.ErrLoginURL, metadata.FieldSSOURL, "metadata/login-url", nil},
		{"a private key pasted as the certificate", certErr, certs.ErrNotCertificate, metadata.FieldCertificate, "certs/not-certificate", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("control: no error")
			}
			p, ok := ProblemOf(c.err)
			if !ok {
				t.Fatalf("ProblemOf(%v) found none", c.err)
			}
			if !errors.Is(p.Kind, c.kind) || p.Subject != c.subject || p.Fix.Code != c.code {
				t.Fatalf("Problem = kind %v, subject %q, code %q; want %v, %q, %q", p.Kind, p.Subject, p.Fix.Code, c.kind, c.subject, c.code)
			}
			for k, v := range c.params {
				if p.Fix.Params[k] != v {
					t.Errorf("Params[%q] = %q, want %q", k, p.Fix.Params[k], v)
				}
			}
			if p.Received == "" || p.Fix.Text == "" && c.code != "certs/not-certificate" {
				t.Errorf("Problem lacks what arrived or the advice: %+v", p)
			}
		})
	}
	if _, ok := ProblemOf(errors.New("other")); ok {
		t.Error("ProblemOf found a problem in an unrelated error")
	}
}

// #17: the other packages' admin texts read right too: sp/web's rejections (errors that
// wrap one of sp's kinds, logged for the admin and handed to OnError), metadata's and
// certs' field-level messages (what an admin pasted, what to paste instead). Their
// constructors' errors (New, NewRemote) are for the developer, who knows the Go names.
func TestOtherPackagesAdminTextsNameNoGoFields(t *testing.T) {
	for _, dir := range []string{"web", "../metadata", "../certs"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					// fmt.Errorf("%w: …", sp.ErrX, …): a rejection, for the admin.
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Errorf" && len(n.Args) > 1 {
						for _, a := range n.Args[1:] {
							if s, ok := a.(*ast.SelectorExpr); ok && strings.HasPrefix(s.Sel.Name, "Err") {
								if x, ok := s.X.(*ast.Ident); ok && x.Name == "sp" {
									noGoNames(t, fset, n.Args[0])
								}
							}
						}
					}
				case *ast.CompositeLit:
					id, ok := n.Type.(*ast.Ident)
					if !ok || id.Name != "Error" && id.Name != "InputError" {
						return true
					}
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							switch kv.Key.(*ast.Ident).Name {
							case "Hint", "Expected", "Found":
								noGoNames(t, fset, kv.Value)
							}
						}
					}
				}
				return true
			})
		}
	}
}

// goNames are this package's Go names an admin does not see in any portal; advice says
// what to change in words (an app words its own controls by the advice's code).
var goNames = []string{"Config.", "Limits.", "RequireSigned", "RequireAuthenticated", "Insecure", "AllowIdPInitiated", "ClockSkew", "MaxIssueDelay", "DecryptionKeys",
	"RejectExpired", "LoginTimeout", "CookieKey", "SignerLog", "SessionStore", "RequestStore", "ReplayCache", "MaxPendingLogins"}

func noGoNames(t *testing.T, fset *token.FileSet, e ast.Expr) {
	t.Helper()
	ast.Inspect(e, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			for _, g := range goNames {
				if strings.Contains(lit.Value, g) {
					t.Errorf("%s: admin text names the Go field %q: %s", fset.Position(lit.Pos()), g, lit.Value)
				}
			}
		}
		return true
	})
}
