package assertion

import (
	"errors"
	"testing"
)

func entraAssertion(extra ...Attribute) *Assertion {
	a := &Assertion{Attributes: map[string]Attribute{}}
	add := func(name string, values ...string) {
		a.Attributes[name] = Attribute{Name: name, Values: values}
		a.AttributeNames = append(a.AttributeNames, name)
	}
	add(ClaimTenantID, "7c1e4f2a-93b5-4d08-a6e1-2f8b0c9d5e37")
	add(ClaimObjectID, "5f2b8c1d-7e4a-4b9f-a3c6-1d8e2f0b7a94")
	add(ClaimDisplayName, "Adele Vance")
	add(ClaimIdentityProvider, "https://sts.windows.net/7c1e4f2a-93b5-4d08-a6e1-2f8b0c9d5e37/")
	add(ClaimAuthnMethods, "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password", "http://schemas.microsoft.com/claims/multipleauthn")
	add(ClaimGivenName, "Adele")
	add(ClaimSurname, "Vance")
	add(ClaimEmail, "adele@contoso.example")
	add(ClaimName, "adele@contoso.example")
	for _, x := range extra {
		add(x.Name, x.Values...)
	}
	return a
}

func TestEntraAccessors(t *testing.T) {
	a := entraAssertion(Attribute{Name: ClaimRoles, Values: []string{"Admin", "Reader"}})
	cases := map[string][2]string{
		"ObjectID":         {a.ObjectID(), "5f2b8c1d-7e4a-4b9f-a3c6-1d8e2f0b7a94"},
		"TenantID":         {a.TenantID(), "7c1e4f2a-93b5-4d08-a6e1-2f8b0c9d5e37"},
		"Name":             {a.Name(), "adele@contoso.example"},
		"UPN":              {a.UPN(), "adele@contoso.example"},
		"Email":            {a.Email(), "adele@contoso.example"},
		"DisplayName":      {a.DisplayName(), "Adele Vance"},
		"GivenName":        {a.GivenName(), "Adele"},
		"Surname":          {a.Surname(), "Vance"},
		"IdentityProvider": {a.IdentityProvider(), "https://sts.windows.net/7c1e4f2a-93b5-4d08-a6e1-2f8b0c9d5e37/"},
	}
	for name, c := range cases {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if r := a.Roles(); len(r) != 2 || r[0] != "Admin" || r[1] != "Reader" {
		t.Errorf("Roles = %q", r)
	}
	if m := a.AuthnMethods(); len(m) != 2 {
		t.Errorf("AuthnMethods = %q", m)
	}
}

func TestGroups(t *testing.T) {
	t.Run("listed", func(t *testing.T) {
		a := entraAssertion(Attribute{Name: ClaimGroups, Values: []string{"g1", "g2"}})
		g, err := a.Groups()
		if err != nil || len(g) != 2 || g[0] != "g1" {
			t.Fatalf("Groups = %q, %v", g, err)
		}
		if _, over := a.GroupsOverage(); over {
			t.Fatal("overage reported for a listed group claim")
		}
	})
	t.Run("none", func(t *testing.T) {
		g, err := entraAssertion().Groups()
		if err != nil || g != nil {
			t.Fatalf("Groups = %q, %v", g, err)
		}
	})
	t.Run("overage is not no groups", func(t *testing.T) {
		link := "https://graph.windows.net/tenant/users/user/getMemberObjects"
		a := entraAssertion(Attribute{Name: ClaimGroupsLink, Values: []string{link}})
		if g, err := a.Groups(); !errors.Is(err, ErrGroupsOverage) || g != nil {
			t.Fatalf("Groups = %q, %v; want ErrGroupsOverage", g, err)
		}
		if got, ok := a.GroupsOverage(); !ok || got != link {
			t.Fatalf("GroupsOverage = %q, %v", got, ok)
		}
	})
}

func TestAttributeLookups(t *testing.T) {
	a := entraAssertion()
	if a.First("missing") != "" || a.Values("missing") != nil || a.Has("missing") {
		t.Error("a missing attribute is not empty")
	}
	v := a.Values(ClaimAuthnMethods)
	v[0] = "changed"
	if a.First(ClaimAuthnMethods) == "changed" {
		t.Error("Values returned the assertion's own slice")
	}
	empty := &Assertion{}
	if empty.ObjectID() != "" {
		t.Error("zero Assertion has an ObjectID")
	}
	if _, err := empty.Groups(); err != nil {
		t.Error(err)
	}
}

// Email and DisplayName read Entra's claims first and other IdPs' LDAP attributes after.
func TestEmailAndDisplayNameFallBackToLDAPNames(t *testing.T) {
	at := func(pairs ...string) *Assertion {
		a := &Assertion{Attributes: map[string]Attribute{}}
		for i := 0; i < len(pairs); i += 2 {
			a.Attributes[pairs[i]] = Attribute{Name: pairs[i], Values: []string{pairs[i+1]}}
		}
		return a
	}
	for _, tc := range []struct {
		a           *Assertion
		email, name string
	}{
		{at(ClaimEmail, "e@entra", AttrMailOID, "e@ldap", ClaimDisplayName, "Entra Name", AttrDisplayNameOID, "LDAP Name"), "e@entra", "Entra Name"},
		{at(AttrMailOID, "e@ldap", AttrDisplayNameOID, "LDAP Name"), "e@ldap", "LDAP Name"},
		{at("mail", "e@short", "displayName", "Short Name"), "e@short", "Short Name"},
		{at(), "", ""},
	} {
		if got := tc.a.Email(); got != tc.email {
			t.Errorf("Email() = %q, want %q", got, tc.email)
		}
		if got := tc.a.DisplayName(); got != tc.name {
			t.Errorf("DisplayName() = %q, want %q", got, tc.name)
		}
	}
}
