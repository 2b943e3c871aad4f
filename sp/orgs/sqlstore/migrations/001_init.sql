-- One row per organization: its SAML connection's pending and active versions as JSON
-- documents (orgs.Version), and the revision that makes every update a compare-and-swap.
CREATE TABLE IF NOT EXISTS ssokit_orgs (
	id TEXT PRIMARY KEY,
	revision BIGINT NOT NULL,
	enabled SMALLINT NOT NULL,
	active_version INTEGER NOT NULL,
	pending TEXT,
	active TEXT,
	changed_at TEXT NOT NULL,
	changed_by TEXT NOT NULL,
	log_seq BIGINT NOT NULL DEFAULT 0
);

-- The sign-in log: entries numbered per organization by ssokit_orgs.log_seq; only the
-- newest (the store's retention) are kept.
CREATE TABLE IF NOT EXISTS ssokit_org_signins (
	org_id TEXT NOT NULL REFERENCES ssokit_orgs (id),
	seq BIGINT NOT NULL,
	at TEXT NOT NULL,
	entry TEXT NOT NULL,
	PRIMARY KEY (org_id, seq)
);
