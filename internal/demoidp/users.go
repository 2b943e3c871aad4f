package demoidp

import "fmt"

// User is a directory user who can sign in to the demo IdP.
type User struct {
	Username    string   // the user principal name (UPN), e.g. adele@contoso.example
	Password    string   // shown on the login page: this is a demo
	ObjectID    string   // immutable GUID, sent as the objectidentifier claim
	DisplayName string   // displayname and name-like claims
	GivenName   string   // givenname claim
	Surname     string   // surname claim
	Email       string   // emailaddress claim (user.mail); empty sends none, as Entra does
	Groups      []string // group object IDs, sent as the groups claim
	// NotAssigned makes every sign-in to an application fail as Entra does for a user not
	// assigned to it when "Assignment required" is on (AADSTS50105).
	NotAssigned bool
}

// Group object IDs of the demo directory.
const (
	GroupEngineering = "8d4b1f60-2a7c-4c1e-9f3a-5e6b7c8d9e01"
	GroupAllStaff    = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	GroupAdmins      = "f3e2d1c0-b9a8-4766-9544-332211009988"
)

// DemoUsers returns the demo directory's users; their passwords are on the login page.
// Megan is in more groups than fit in a SAML token, so her sign-in shows Entra's groups
// overage claim. Diego is not assigned to any application: Entra answers with an error.
func DemoUsers() []User {
	many := make([]string, 0, 160)
	for i := range 160 {
		many = append(many, fmt.Sprintf("%08x-5a5a-4b4b-8c8c-%012x", i+1, i+1))
	}
	return []User{
		{
			Username:    "adele@contoso.example",
			Password:    "adele-demo",
			ObjectID:    "4a9f3c1e-7b2d-4f6a-9c8e-1d2b3a4c5e6f",
			DisplayName: "Adele Vance",
			GivenName:   "Adele",
			Surname:     "Vance",
			Email:       "adele@contoso.example",
			Groups:      []string{GroupAllStaff, GroupAdmins},
		},
		{
			Username:    "alex@contoso.example",
			Password:    "alex-demo",
			ObjectID:    "b7e6d5c4-3a2b-4c1d-8e9f-0a1b2c3d4e5f",
			DisplayName: "Alex Wilber",
			GivenName:   "Alex",
			Surname:     "Wilber",
			Email:       "alex@contoso.example",
			Groups:      []string{GroupAllStaff, GroupEngineering},
		},
		{
			Username:    "megan@contoso.example",
			Password:    "megan-demo",
			ObjectID:    "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
			DisplayName: "Megan Bowen",
			GivenName:   "Megan",
			Surname:     "Bowen",
			Email:       "megan@contoso.example",
			Groups:      append([]string{GroupAllStaff}, many...),
		},
		{
			Username:    "diego@contoso.example",
			Password:    "diego-demo",
			ObjectID:    "d9e8f7a6-b5c4-4d3e-8f2a-1b0c9d8e7f6a",
			DisplayName: "Diego Siciliani",
			GivenName:   "Diego",
			Surname:     "Siciliani",
			Email:       "diego@contoso.example",
			Groups:      []string{GroupAllStaff},
			NotAssigned: true,
		},
	}
}
