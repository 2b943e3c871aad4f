// Package redisstore keeps an SP's replay cache and, optionally, its outstanding
// AuthnRequests and its sessions in Redis, so a fleet of app servers behind a load
// balancer acts as one service provider: an assertion accepted by one server is refused
// by all the others, a login started on one server can finish on another, and a session
// ended on one server is ended on all.
//
// One Store serves one SP (one organization). Give each its own Options.Prefix so
// tenants sharing a Redis never see each other's records:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	store := redisstore.New(rdb, redisstore.Options{Prefix: "ssokit:" + org.ID + ":"})
//	s, err := sp.New(sp.Config{ /* EntityID, ACSURL, IdP … */ ReplayCache: store})
//	h, err := web.New(s, web.Config{CookieKey: key, RequestStore: store, SessionStore: store.Sessions()})
//
// RequestStore is optional: without it, pending logins travel in a signed cookie and
// need nothing shared but web.Config.CookieKey. SessionStore is optional too: without
// it, sessions live in their cookie and cannot be revoked (a copied cookie works until
// it expires); with it, the cookie carries only a session ID.
//
// # Failure policy
//
// Each Redis call is bounded by Options.Timeout (500ms by default). When Redis cannot
// answer, the store fails closed: the login is rejected with an *UnavailableError
// ("redisstore: replay status unknown (redis unreachable at …): login rejected"), which
// is never mistaken for a replay, and the failure is logged to Options.Logger. The
// go-redis client reconnects by itself; logins succeed again as soon as Redis is back.
//
// # Operating Redis
//
// Records live until the assertion's NotOnOrAfter plus clock skew (at least a second),
// so memory use follows the login rate over that window: a replay record takes about
// 150 bytes (Redis' MEMORY USAGE), a pending request about 220. The request store needs
// Redis 6.2 or later (GETDEL). A Redis that restarts without persistence forgets which
// assertions were used, letting a captured response be replayed until it expires: run
// it with persistence or a replica if that window matters. Build the client with
// ContextTimeoutEnabled: its sockets then honour the store's deadline themselves, and
// the store need not watch each call from a goroutine of its own.
package redisstore
