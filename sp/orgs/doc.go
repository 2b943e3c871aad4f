// Package orgs is per-organization SAML single sign-on for a multi-tenant app: each
// organization's admin configures its own IdP (pending and active configurations,
// versioned), tests it, and enables it; members then sign in through it.
//
// This file grows with the lifecycle and HTTP layer; the model (Org, Version,
// Settings, Test, SignIn) and the Store (MemoryStore here, sqlstore for SQLite and
// PostgreSQL) come first.
package orgs
