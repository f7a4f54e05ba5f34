package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// The SAML sign-in state's tests compare expiries with a now they choose:
// the store never reads its own clock for expiry. Rows expire at fixedTime
// unless a test says otherwise; beforeExpiry is a now at which they are
// live.
var beforeExpiry = fixedTime.Add(-time.Minute)

// zonedTime is an instant given in a zone east of UTC with nanoseconds,
// which the store keeps as the same instant in UTC truncated to the
// microsecond.
var zonedTime = time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+05:30", 5*3600+30*60))

// newHash returns the SHA-256 of fresh random bytes, as a stored secret's
// hash is.
func newHash() []byte {
	h := sha256.Sum256([]byte(rand.Text()))
	return h[:]
}

// MustCreateSession creates a session of the user that expires at expires
// and returns it; its token is not kept (tests look sessions up by
// Session.Hash).
func MustCreateSession(tb testing.TB, q store.Queries, userID int64, expires time.Time) *gatehouse.Session {
	tb.Helper()
	s := &gatehouse.Session{Hash: newHash(), UserID: userID, ExpiresAt: expires}
	must(tb, fmt.Sprintf("CreateSession(user %d)", userID), q.CreateSession(tb.Context(), s))
	return s
}

// expiryCases are nows around an expiry at fixedTime, and whether a row
// that expires then is live at each: a row that expires exactly at now has
// expired, and now counts to the microsecond, as times are stored.
var expiryCases = []struct {
	name string
	now  time.Time
	live bool
}{
	{"an hour before", fixedTime.Add(-time.Hour), true},
	{"a microsecond before", fixedTime.Add(-time.Microsecond), true},
	{"a nanosecond before", fixedTime.Add(-time.Nanosecond), true},
	{"a microsecond before, west of UTC", fixedTime.Add(-time.Microsecond).In(time.FixedZone("UTC-08:00", -8*3600)), true},
	{"exactly at", fixedTime, false},
	{"exactly at, east of UTC", fixedTime.In(zonedTime.Location()), false},
	{"a nanosecond after", fixedTime.Add(time.Nanosecond), false},
	{"an hour after", fixedTime.Add(time.Hour), false},
}

// wantLive reports an error unless err is nil when live and NotFound when
// not.
func wantLive(t testing.TB, op string, err error, live bool) {
	t.Helper()
	if live {
		if err != nil {
			t.Errorf("%s = %v, want nil (live)", op, err)
		}
		return
	}
	wantKind(t, op, err, gatehouse.NotFound)
}
