package scimhttp

import (
	"sync"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

// authTTL is how long a verified token and its group are trusted without
// asking the database again. The contract gives commands that change the
// database (scim token reset or revoke) 5 seconds to reach running servers;
// an IdP's sync makes two requests per user, and the lookups would otherwise
// be a large share of them.
const authTTL = 5 * time.Second

// maxAuthEntries bounds the cache; only valid tokens enter it, and a full
// cache is simply emptied.
const maxAuthEntries = 10000

// authCache remembers recently verified SCIM tokens. It is safe for
// concurrent use.
type authCache struct {
	mu sync.Mutex
	m  map[authKey]authEntry
}

// authKey is a token's hash and the {group} segment it was used with.
type authKey struct {
	hash  [32]byte
	group string
}

type authEntry struct {
	token   gatehouse.SCIMToken
	group   gatehouse.Group
	expires time.Time
}

// get returns copies of the cached token and group, if fresh at now.
func (c *authCache) get(k authKey, now time.Time) (*gatehouse.SCIMToken, *gatehouse.Group, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !now.Before(e.expires) {
		return nil, nil, false
	}
	t, g := e.token, e.group
	return &t, &g, true
}

// put remembers a verified token and its group until now+authTTL.
func (c *authCache) put(k authKey, t *gatehouse.SCIMToken, g *gatehouse.Group, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxAuthEntries {
		c.m = make(map[authKey]authEntry)
	}
	c.m[k] = authEntry{token: *t, group: *g, expires: now.Add(authTTL)}
}
