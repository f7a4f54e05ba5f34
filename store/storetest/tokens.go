package storetest

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testSCIMTokenCRUD creates, finds, lists, touches and deletes SCIM tokens.
func testSCIMTokenCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")

	_, hash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
	t1 := &gatehouse.SCIMToken{GroupID: g.ID, Hash: hash}
	must(t, "CreateSCIMToken(acme)", s.CreateSCIMToken(ctx, t1))
	if t1.ID <= 0 {
		t.Fatalf("CreateSCIMToken set ID = %d, want > 0", t1.ID)
	}
	checkStamp(t, "CreateSCIMToken CreatedAt", t1.CreatedAt)
	got, err := s.FindSCIMTokenByHash(ctx, hash)
	wantFound(t, "FindSCIMTokenByHash", got, err, t1)
	if err == nil && !got.LastUsedAt.IsZero() {
		t.Errorf("FindSCIMTokenByHash of an unused token: LastUsedAt = %v, want zero", got.LastUsedAt)
	}

	dup := &gatehouse.SCIMToken{GroupID: g2.ID, Hash: hash}
	wantKind(t, "CreateSCIMToken with an existing hash", s.CreateSCIMToken(ctx, dup), gatehouse.Conflict)

	_, t2 := MustCreateSCIMToken(t, s, g.ID)
	token3, t3 := MustCreateSCIMToken(t, s, g2.ID)
	list, err := s.ListSCIMTokens(ctx, g.ID)
	wantFound(t, "ListSCIMTokens(acme)", list, err, []*gatehouse.SCIMToken{t1, t2})

	must(t, "TouchSCIMToken", s.TouchSCIMToken(ctx, t1.ID, fixedTime))
	t1.LastUsedAt = fixedTime
	got, err = s.FindSCIMTokenByHash(ctx, hash)
	wantFound(t, "FindSCIMTokenByHash after TouchSCIMToken", got, err, t1)

	must(t, "DeleteSCIMToken(acme, t1)", s.DeleteSCIMToken(ctx, g.ID, t1.ID))
	_, err = s.FindSCIMTokenByHash(ctx, hash)
	wantKind(t, "FindSCIMTokenByHash after DeleteSCIMToken", err, gatehouse.NotFound)
	wantKind(t, "DeleteSCIMToken(acme, t1) again", s.DeleteSCIMToken(ctx, g.ID, t1.ID), gatehouse.NotFound)
	list, err = s.ListSCIMTokens(ctx, g.ID)
	wantFound(t, "ListSCIMTokens(acme) after DeleteSCIMToken", list, err, []*gatehouse.SCIMToken{t2})

	MustCreateSCIMToken(t, s, g.ID)
	if n, err := s.DeleteSCIMTokens(ctx, g.ID); err != nil || n != 2 {
		t.Errorf("DeleteSCIMTokens(acme) = %d, %v, want 2, nil", n, err)
	}
	if n, err := s.DeleteSCIMTokens(ctx, g.ID); err != nil || n != 0 {
		t.Errorf("DeleteSCIMTokens(acme) again = %d, %v, want 0, nil", n, err)
	}
	list, err = s.ListSCIMTokens(ctx, g.ID)
	wantFound(t, "ListSCIMTokens(acme) after DeleteSCIMTokens", list, err, nil)
	got, err = s.FindSCIMTokenByHash(ctx, gatehouse.HashToken(token3))
	wantFound(t, "FindSCIMTokenByHash(bravo's token) after DeleteSCIMTokens(acme)", got, err, t3)
}

// testPATCRUD creates, finds, lists, touches and deletes personal access
// tokens.
func testPATCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, "alice")
	u2 := MustCreateUser(t, s, "bob")

	_, hash := gatehouse.NewToken(gatehouse.PATPrefix)
	p1 := &gatehouse.PersonalAccessToken{UserID: u.ID, Name: "CI deploy", Hash: hash, ExpiresAt: fixedTime}
	must(t, "CreatePAT", s.CreatePAT(ctx, p1))
	if p1.ID <= 0 {
		t.Fatalf("CreatePAT set ID = %d, want > 0", p1.ID)
	}
	checkStamp(t, "CreatePAT CreatedAt", p1.CreatedAt)
	got, err := s.FindPATByHash(ctx, hash)
	wantFound(t, "FindPATByHash", got, err, p1)
	got, err = s.FindPAT(ctx, p1.ID)
	wantFound(t, "FindPAT", got, err, p1)

	dup := &gatehouse.PersonalAccessToken{UserID: u2.ID, Name: "dup", Hash: hash}
	wantKind(t, "CreatePAT with an existing hash", s.CreatePAT(ctx, dup), gatehouse.Conflict)

	_, p2 := MustCreatePAT(t, s, u.ID, "second")
	_, p3 := MustCreatePAT(t, s, u2.ID, "bob's")
	list, err := s.ListPATs(ctx, u.ID)
	wantFound(t, "ListPATs(alice)", list, err, []*gatehouse.PersonalAccessToken{p1, p2})

	must(t, "TouchPAT", s.TouchPAT(ctx, p2.ID, fixedTime))
	p2.LastUsedAt = fixedTime
	got, err = s.FindPAT(ctx, p2.ID)
	wantFound(t, "FindPAT after TouchPAT", got, err, p2)

	must(t, "DeletePAT", s.DeletePAT(ctx, p1.ID))
	_, err = s.FindPAT(ctx, p1.ID)
	wantKind(t, "FindPAT after DeletePAT", err, gatehouse.NotFound)
	_, err = s.FindPATByHash(ctx, hash)
	wantKind(t, "FindPATByHash after DeletePAT", err, gatehouse.NotFound)
	wantKind(t, "DeletePAT again", s.DeletePAT(ctx, p1.ID), gatehouse.NotFound)
	list, err = s.ListPATs(ctx, u.ID)
	wantFound(t, "ListPATs(alice) after DeletePAT", list, err, []*gatehouse.PersonalAccessToken{p2})
	list, err = s.ListPATs(ctx, u2.ID)
	wantFound(t, "ListPATs(bob)", list, err, []*gatehouse.PersonalAccessToken{p3})
}
