// Command gen writes the signed fixtures of testdata/ (go generate ./internal/samltest).
// With -keys it first makes new test keys in internal/samltest/testdata; that changes
// every fixture and is needed only if the keys are lost or must be rotated.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ssokit/saml/internal/samltest"
)

func main() {
	out := flag.String("out", "../../testdata", "directory the fixtures are written to")
	keys := flag.Bool("keys", false, "make new test keys in ./testdata first (changes every fixture)")
	flag.Parse()

	if *keys {
		for i, name := range samltest.KeyNames {
			p, err := samltest.NewPair("ssokit test key "+name+" (not a Microsoft certificate)", int64(1001+i))
			if err != nil {
				log.Fatal(err)
			}
			k, c, err := samltest.EncodePair(p)
			if err != nil {
				log.Fatal(err)
			}
			write(filepath.Join("testdata", name+".key.pem"), k)
			write(filepath.Join("testdata", name+".cert.pem"), c)
		}
		fmt.Println("new keys written; run go generate again without -keys to write the fixtures")
		return
	}

	idp := samltest.DefaultIdP()
	for _, f := range samltest.Fixtures() {
		b, err := idp.Response(f.Options)
		if err != nil {
			log.Fatalf("%s: %v", f.Name, err)
		}
		write(filepath.Join(*out, f.Name+".xml"), b)
		write(filepath.Join(*out, f.Name+".b64"), []byte(samltest.Encode(b)+"\n"))
	}
	write(filepath.Join(*out, "idp.cert.pem"), []byte(samltest.CertPEM(idp.Cert)))
}

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
