package assertion

// First returns the first value of the attribute with the given Name, or "" when there
// is none.
func (a *Assertion) First(name string) string {
	if attr, ok := a.Attributes[name]; ok && len(attr.Values) > 0 {
		return attr.Values[0]
	}
	return ""
}

// Values returns every value of the attribute with the given Name, in document order,
// or nil when there is none. The slice is a copy.
func (a *Assertion) Values(name string) []string {
	attr, ok := a.Attributes[name]
	if !ok {
		return nil
	}
	return append([]string(nil), attr.Values...)
}

// Has reports whether the assertion carries an attribute with the given Name.
func (a *Assertion) Has(name string) bool {
	_, ok := a.Attributes[name]
	return ok
}
