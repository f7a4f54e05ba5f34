package scimhttp

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// DefaultRateLimit is the SCIM requests per second one group may make of
// one server before it is answered 429 (security.md §2.13): far above what
// Entra ID (at least 25 per second per tenant), Okta or OneLogin send, so
// that only a runaway or hostile client meets it, and low enough that one
// group cannot take a server from the others.
const DefaultRateLimit = 500

// rateLimiter is a token bucket per group: a group may make rate requests
// per second, and up to a second's worth at once. It is safe for
// concurrent use; each server keeps its own.
type rateLimiter struct {
	mu      sync.Mutex
	buckets map[int64]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64   // requests the group may make now
	at     time.Time // when tokens was computed
}

// take spends one request of group's at now, under rate requests per
// second. When the group has none left, it returns false and how long until
// it has one again.
func (l *rateLimiter) take(group int64, now time.Time, rate float64) (bool, time.Duration) {
	burst := math.Max(1, rate)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = make(map[int64]*bucket)
	}
	b := l.buckets[group]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		l.buckets[group] = b
	} else if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(burst, b.tokens+d.Seconds()*rate)
		b.at = now
	}
	l.sweep(now, burst/rate)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// sweep forgets, once a minute, the groups whose buckets have been full
// again for a while: a forgotten group starts full, which is the same.
func (l *rateLimiter) sweep(now time.Time, refill float64) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	idle := time.Duration(refill*float64(time.Second)) + time.Minute
	for g, b := range l.buckets {
		if now.Sub(b.at) > idle {
			delete(l.buckets, g)
		}
	}
}

// throttled is the answer to a request over the group's rate: 429, with
// Retry-After in whole seconds (at least 1) set on w.
func throttled(w http.ResponseWriter, wait time.Duration, rate float64) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return scim.Errorf(http.StatusTooManyRequests, "",
		"too many SCIM requests for this group: this server takes %s per second from one group; retry after %d s",
		formatRate(rate), secs)
}

func formatRate(rate float64) string {
	if rate == math.Trunc(rate) {
		return strconv.FormatFloat(rate, 'f', 0, 64)
	}
	return fmt.Sprintf("%.2f", rate)
}
