-- Keys every server of the fleet shares (CookieKey), made once by whichever server asks first.
CREATE TABLE IF NOT EXISTS ssokit_orgs_keys (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
