package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testSessionCRUD creates, finds, touches and deletes sessions.
func testSessionCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := MustCreateUser(t, s, "alice")
	bob := MustCreateUser(t, s, "bob")

	s1 := &gatehouse.Session{Hash: newHash(), UserID: alice.ID, ExpiresAt: fixedTime, PasswordAt: zonedTime}
	must(t, "CreateSession", s.CreateSession(ctx, s1))
	if s1.ID <= 0 {
		t.Fatalf("CreateSession set ID = %d, want > 0", s1.ID)
	}
	checkStamp(t, "CreateSession CreatedAt", s1.CreatedAt)
	checkInstant(t, "CreateSession LastSeenAt (zero: the creation)", s1.LastSeenAt, s1.CreatedAt)
	checkInstant(t, "CreateSession PasswordAt", s1.PasswordAt, zonedTime)
	got, err := s.FindSessionByHash(ctx, s1.Hash, beforeExpiry)
	wantFound(t, "FindSessionByHash", got, err, s1)
	if err == nil {
		checkInstant(t, "FindSessionByHash PasswordAt", got.PasswordAt, zonedTime)
	}

	// An SSO-only session that was seen before it was stored.
	s2 := &gatehouse.Session{Hash: newHash(), UserID: alice.ID, ExpiresAt: zonedTime, LastSeenAt: fixedTime.Add(-time.Hour)}
	must(t, "CreateSession(SSO only)", s.CreateSession(ctx, s2))
	got, err = s.FindSessionByHash(ctx, s2.Hash, beforeExpiry)
	wantFound(t, "FindSessionByHash(SSO only)", got, err, s2)
	if err == nil {
		checkInstant(t, "FindSessionByHash(SSO only) PasswordAt", got.PasswordAt, time.Time{})
		checkInstant(t, "FindSessionByHash(SSO only) LastSeenAt", got.LastSeenAt, fixedTime.Add(-time.Hour))
		checkInstant(t, "FindSessionByHash(SSO only) ExpiresAt", got.ExpiresAt, zonedTime)
	}

	dup := &gatehouse.Session{Hash: s1.Hash, UserID: bob.ID, ExpiresAt: fixedTime}
	wantKind(t, "CreateSession with an existing hash", s.CreateSession(ctx, dup), gatehouse.Conflict)
	ghost := &gatehouse.Session{Hash: newHash(), UserID: missingID, ExpiresAt: fixedTime}
	wantKind(t, "CreateSession(missing user)", s.CreateSession(ctx, ghost), gatehouse.NotFound)
	bad := &gatehouse.Session{Hash: newHash()[:16], UserID: bob.ID, ExpiresAt: fixedTime}
	wantKind(t, "CreateSession(short hash)", s.CreateSession(ctx, bad), gatehouse.Invalid)

	_, err = s.FindSessionByHash(ctx, newHash(), beforeExpiry)
	wantKind(t, "FindSessionByHash(unknown)", err, gatehouse.NotFound)
	_, err = s.FindSessionByHash(ctx, []byte("short"), beforeExpiry)
	wantKind(t, "FindSessionByHash(not a hash)", err, gatehouse.NotFound)
	_, err = s.FindSessionByHash(ctx, s1.Hash, fixedTime)
	wantKind(t, "FindSessionByHash at its expiry", err, gatehouse.NotFound)
	_, err = s.FindSessionByHash(ctx, s1.Hash, time.Time{})
	wantKind(t, "FindSessionByHash(now zero)", err, gatehouse.Invalid)

	got, err = s.FindSession(ctx, s1.ID, beforeExpiry)
	wantFound(t, "FindSession", got, err, s1)
	_, err = s.FindSession(ctx, missingID, beforeExpiry)
	wantKind(t, "FindSession(unknown)", err, gatehouse.NotFound)
	_, err = s.FindSession(ctx, s1.ID, fixedTime)
	wantKind(t, "FindSession at its expiry", err, gatehouse.NotFound)
	_, err = s.FindSession(ctx, s1.ID, time.Time{})
	wantKind(t, "FindSession(now zero)", err, gatehouse.Invalid)

	must(t, "TouchSession", s.TouchSession(ctx, s1.ID, zonedTime))
	got, err = s.FindSessionByHash(ctx, s1.Hash, beforeExpiry)
	must(t, "FindSessionByHash after TouchSession", err)
	checkInstant(t, "FindSessionByHash after TouchSession LastSeenAt", got.LastSeenAt, zonedTime)
	wantKind(t, "TouchSession(missing)", s.TouchSession(ctx, missingID, zonedTime), gatehouse.NotFound)
	wantKind(t, "TouchSession(zero time)", s.TouchSession(ctx, s1.ID, time.Time{}), gatehouse.Invalid)
	got, err = s.FindSessionByHash(ctx, s1.Hash, beforeExpiry)
	must(t, "FindSessionByHash after a refused TouchSession", err)
	checkInstant(t, "FindSessionByHash after a refused TouchSession LastSeenAt", got.LastSeenAt, zonedTime)

	must(t, "DeleteSession", s.DeleteSession(ctx, s1.ID))
	_, err = s.FindSessionByHash(ctx, s1.Hash, beforeExpiry)
	wantKind(t, "FindSessionByHash after DeleteSession", err, gatehouse.NotFound)
	wantKind(t, "DeleteSession again", s.DeleteSession(ctx, s1.ID), gatehouse.NotFound)

	// DeleteUserSessions takes every session of the user, expired ones
	// included, and no one else's.
	MustCreateSession(t, s, alice.ID, beforeExpiry.Add(-time.Hour)) // expired
	bobs := MustCreateSession(t, s, bob.ID, fixedTime)
	if n, err := s.DeleteUserSessions(ctx, alice.ID); err != nil || n != 2 {
		t.Errorf("DeleteUserSessions(alice) = %d, %v, want 2, nil", n, err)
	}
	_, err = s.FindSessionByHash(ctx, s2.Hash, beforeExpiry)
	wantKind(t, "FindSessionByHash(alice's) after DeleteUserSessions", err, gatehouse.NotFound)
	got, err = s.FindSessionByHash(ctx, bobs.Hash, beforeExpiry)
	wantFound(t, "FindSessionByHash(bob's) after DeleteUserSessions(alice)", got, err, bobs)
	if n, err := s.DeleteUserSessions(ctx, alice.ID); err != nil || n != 0 {
		t.Errorf("DeleteUserSessions(alice) again = %d, %v, want 0, nil", n, err)
	}
}

// testSessionSSO records, replaces and finds sessions' per-group SSO
// freshness.
func testSessionSSO(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := MustCreateGroup(t, s, "acme")
	bravo := MustCreateGroup(t, s, "bravo")
	u := MustCreateUser(t, s, "alice")
	sess := MustCreateSession(t, s, u.ID, fixedTime)

	_, err := s.FindSessionSSO(ctx, sess.ID, acme.ID)
	wantKind(t, "FindSessionSSO before any SSO", err, gatehouse.NotFound)

	must(t, "MarkSessionSSO(acme)", s.MarkSessionSSO(ctx, sess.ID, acme.ID, zonedTime))
	got, err := s.FindSessionSSO(ctx, sess.ID, acme.ID)
	if err == nil {
		checkInstant(t, "FindSessionSSO(acme).At", got.At, zonedTime)
	}
	wantFound(t, "FindSessionSSO(acme)", got, err, &gatehouse.SessionSSO{SessionID: sess.ID, GroupID: acme.ID,
		At: zonedTime.UTC().Truncate(time.Microsecond)})
	must(t, "MarkSessionSSO(acme) again", s.MarkSessionSSO(ctx, sess.ID, acme.ID, fixedTime))
	got, err = s.FindSessionSSO(ctx, sess.ID, acme.ID)
	wantFound(t, "FindSessionSSO(acme) after a second sign-in", got, err, &gatehouse.SessionSSO{SessionID: sess.ID, GroupID: acme.ID, At: fixedTime})
	_, err = s.FindSessionSSO(ctx, sess.ID, bravo.ID)
	wantKind(t, "FindSessionSSO(bravo) after acme's SSO", err, gatehouse.NotFound)
	must(t, "MarkSessionSSO(bravo)", s.MarkSessionSSO(ctx, sess.ID, bravo.ID, beforeExpiry))
	got, err = s.FindSessionSSO(ctx, sess.ID, acme.ID)
	wantFound(t, "FindSessionSSO(acme) after bravo's SSO", got, err, &gatehouse.SessionSSO{SessionID: sess.ID, GroupID: acme.ID, At: fixedTime})

	wantKind(t, "MarkSessionSSO(missing session)", s.MarkSessionSSO(ctx, missingID, acme.ID, fixedTime), gatehouse.NotFound)
	wantKind(t, "MarkSessionSSO(missing group)", s.MarkSessionSSO(ctx, sess.ID, missingID, fixedTime), gatehouse.NotFound)
	wantKind(t, "MarkSessionSSO(zero time)", s.MarkSessionSSO(ctx, sess.ID, acme.ID, time.Time{}), gatehouse.Invalid)
	wantKind(t, "MarkSessionSSO(no group)", s.MarkSessionSSO(ctx, sess.ID, 0, fixedTime), gatehouse.Invalid)
	got, err = s.FindSessionSSO(ctx, sess.ID, acme.ID)
	wantFound(t, "FindSessionSSO(acme) after refused marks", got, err, &gatehouse.SessionSSO{SessionID: sess.ID, GroupID: acme.ID, At: fixedTime})

	// The records go with their session.
	must(t, "DeleteSession", s.DeleteSession(ctx, sess.ID))
	for _, g := range []*gatehouse.Group{acme, bravo} {
		_, err = s.FindSessionSSO(ctx, sess.ID, g.ID)
		wantKind(t, "FindSessionSSO("+g.Path+") after DeleteSession", err, gatehouse.NotFound)
	}
	wantKind(t, "MarkSessionSSO(deleted session)", s.MarkSessionSSO(ctx, sess.ID, acme.ID, fixedTime), gatehouse.NotFound)
}

// testDeleteGroupSSOSessions checks that deprovisioning a user from a group
// ends exactly the user's sessions that signed in through the group's SSO.
func testDeleteGroupSSOSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := MustCreateGroup(t, s, "acme")
	bravo := MustCreateGroup(t, s, "bravo")
	u := MustCreateUser(t, s, "alice")
	v := MustCreateUser(t, s, "bob")
	session := func(userID int64, expires time.Time, password bool, groups ...*gatehouse.Group) *gatehouse.Session {
		t.Helper()
		sess := &gatehouse.Session{Hash: newHash(), UserID: userID, ExpiresAt: expires}
		if password {
			sess.PasswordAt = beforeExpiry
		}
		must(t, "CreateSession", s.CreateSession(ctx, sess))
		for _, g := range groups {
			must(t, "MarkSessionSSO("+g.Path+")", s.MarkSessionSSO(ctx, sess.ID, g.ID, beforeExpiry))
		}
		return sess
	}
	gone := []*gatehouse.Session{
		session(u.ID, fixedTime, false, acme),
		session(u.ID, fixedTime, true, acme, bravo),              // a password sign-in too, and bravo's SSO
		session(u.ID, beforeExpiry.Add(-time.Hour), false, acme), // expired
	}
	stay := []*gatehouse.Session{
		session(u.ID, fixedTime, false, bravo), // another group's SSO only
		session(u.ID, fixedTime, true),         // the password only
		session(v.ID, fixedTime, false, acme),  // another user of the group
	}

	if n, err := s.DeleteGroupSSOSessions(ctx, acme.ID, u.ID); err != nil || n != len(gone) {
		t.Errorf("DeleteGroupSSOSessions(acme, alice) = %d, %v, want %d, nil", n, err, len(gone))
	}
	for i, sess := range gone {
		_, err := s.FindSessionByHash(ctx, sess.Hash, beforeExpiry.Add(-2*time.Hour))
		wantKind(t, "FindSessionByHash(an ended session)", err, gatehouse.NotFound)
		_, err = s.FindSessionSSO(ctx, sess.ID, bravo.ID)
		if i == 1 {
			wantKind(t, "FindSessionSSO(ended session, bravo)", err, gatehouse.NotFound)
		}
	}
	for _, sess := range stay {
		got, err := s.FindSessionByHash(ctx, sess.Hash, beforeExpiry)
		wantFound(t, "FindSessionByHash(a session that stays)", got, err, sess)
	}
	if n, err := s.DeleteGroupSSOSessions(ctx, acme.ID, u.ID); err != nil || n != 0 {
		t.Errorf("DeleteGroupSSOSessions(acme, alice) again = %d, %v, want 0, nil", n, err)
	}
	if n, err := s.DeleteGroupSSOSessions(ctx, acme.ID, missingID); err != nil || n != 0 {
		t.Errorf("DeleteGroupSSOSessions(acme, missing user) = %d, %v, want 0, nil", n, err)
	}
}

// testSessionExpiry checks FindSessionByHash at nows around a session's
// expiry, and that the store agrees with Session.Expired.
func testSessionExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, "alice")
	for _, tc := range expiryCases {
		sess := MustCreateSession(t, s, u.ID, fixedTime)
		if sess.Expired(tc.now) == tc.live {
			t.Errorf("Session.Expired(%s) = %v, want %v", tc.name, sess.Expired(tc.now), !tc.live)
		}
		_, err := s.FindSessionByHash(ctx, sess.Hash, tc.now)
		wantLive(t, "FindSessionByHash("+tc.name+")", err, tc.live)
	}
}
