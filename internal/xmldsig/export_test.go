package xmldsig

import (
	"io"

	"github.com/beevik/etree"
)

// Hooks for the tests of package xmldsig_test, which are external because they build
// their input with internal/samltest, and samltest imports metadata, which imports this
// package.

func CanonicalizeTo(w io.Writer, el, skip *etree.Element, prefixes string, limit int) error {
	return canonicalizeTo(w, el, skip, prefixes, limit)
}

func Detach(el *etree.Element) *etree.Element { return detach(el) }

func Budget(el *etree.Element) int { return budget(el) }

var ErrBudget = errBudget

const CanonicalRatio, CanonicalSlack = canonicalRatio, canonicalSlack
