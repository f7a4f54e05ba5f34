package storetest

import (
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testUserCRUD creates a personal account with several emails, finds it every
// way, updates every field (replacing the emails) and finds it again.
func testUserCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := &gatehouse.User{
		Username: "Alice",
		Name:     "Alice Liddell",
		Emails: []gatehouse.Email{
			{Address: "alice@example.org", Primary: true, Verified: true},
			{Address: "Alice.Liddell@Work.Example"},
			{Address: "ünal@example.org", Verified: true},
		},
		Kind:            gatehouse.Personal,
		State:           gatehouse.UserActive,
		Admin:           true,
		PasswordHash:    "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2g",
		PasswordExpired: true,
	}
	must(t, "CreateUser(Alice)", s.CreateUser(ctx, u))
	if u.ID <= 0 {
		t.Fatalf("CreateUser(Alice) set ID = %d, want > 0", u.ID)
	}
	checkStamp(t, "CreateUser(Alice) CreatedAt", u.CreatedAt)
	checkStamp(t, "CreateUser(Alice) UpdatedAt", u.UpdatedAt)

	finds := []struct {
		op   string
		find func() (*gatehouse.User, error)
	}{
		{"FindUserByID", func() (*gatehouse.User, error) { return s.FindUserByID(ctx, u.ID) }},
		{"FindUserByUsername(Alice)", func() (*gatehouse.User, error) { return s.FindUserByUsername(ctx, "Alice") }},
		{"FindUserByUsername(aLICE)", func() (*gatehouse.User, error) { return s.FindUserByUsername(ctx, "aLICE") }},
		{"FindPersonalUserByEmail(ALICE@EXAMPLE.ORG)", func() (*gatehouse.User, error) {
			return s.FindPersonalUserByEmail(ctx, "ALICE@EXAMPLE.ORG")
		}},
		{"FindPersonalUserByEmail(alice.liddell@work.example)", func() (*gatehouse.User, error) {
			return s.FindPersonalUserByEmail(ctx, "alice.liddell@work.example")
		}},
		{"FindPersonalUserByEmail(ÜNAL@EXAMPLE.ORG)", func() (*gatehouse.User, error) {
			return s.FindPersonalUserByEmail(ctx, "ÜNAL@EXAMPLE.ORG")
		}},
	}
	for _, f := range finds {
		got, err := f.find()
		wantFound(t, f.op, got, err, u)
	}

	for _, tc := range []struct {
		username string
		want     bool
	}{
		{"Alice", true},
		{"ALICE", true},
		{"alice", true},
		{"bob", false},
	} {
		if got, err := s.UsernameTaken(ctx, tc.username); err != nil || got != tc.want {
			t.Errorf("UsernameTaken(%q) = %v, %v, want %v, nil", tc.username, got, err, tc.want)
		}
	}
	if got, err := s.CountAdmins(ctx); err != nil || got != 1 {
		t.Errorf("CountAdmins() = %d, %v, want 1, nil", got, err)
	}

	// Update every field. The emails are replaced: one is kept in another
	// case, two are dropped and one is added as the new primary.
	up := *u
	up.Username = "Alice.L"
	up.Name = "Alice L."
	up.Emails = []gatehouse.Email{
		{Address: "ALICE@example.org", Verified: true},
		{Address: "new@example.net", Primary: true},
	}
	up.State = gatehouse.UserBlocked
	up.Admin = false
	up.PasswordHash = ""
	up.PasswordExpired = false
	must(t, "UpdateUser(Alice)", s.UpdateUser(ctx, &up))
	checkStamp(t, "UpdateUser(Alice) UpdatedAt", up.UpdatedAt)
	if up.UpdatedAt.Before(u.UpdatedAt) {
		t.Errorf("UpdateUser(Alice) UpdatedAt = %v, want no earlier than %v", up.UpdatedAt, u.UpdatedAt)
	}
	got, err := s.FindUserByID(ctx, u.ID)
	wantFound(t, "FindUserByID after UpdateUser", got, err, &up)
	got, err = s.FindUserByUsername(ctx, "alice.l")
	wantFound(t, "FindUserByUsername(alice.l) after UpdateUser", got, err, &up)
	got, err = s.FindPersonalUserByEmail(ctx, "NEW@example.net")
	wantFound(t, "FindPersonalUserByEmail(NEW@example.net) after UpdateUser", got, err, &up)
	got, err = s.FindPersonalUserByEmail(ctx, "alice@example.org")
	wantFound(t, "FindPersonalUserByEmail(alice@example.org) after UpdateUser", got, err, &up)

	_, err = s.FindUserByUsername(ctx, "alice")
	wantKind(t, "FindUserByUsername(alice) after the rename", err, gatehouse.NotFound)
	for _, addr := range []string{"alice.liddell@work.example", "ünal@example.org"} {
		_, err = s.FindPersonalUserByEmail(ctx, addr)
		wantKind(t, fmt.Sprintf("FindPersonalUserByEmail(%q) after its removal", addr), err, gatehouse.NotFound)
	}
	if got, err := s.CountAdmins(ctx); err != nil || got != 0 {
		t.Errorf("CountAdmins() after UpdateUser = %d, %v, want 0, nil", got, err)
	}

	// A dropped address and username are free for another account.
	must(t, "CreateUser with the dropped username and email", s.CreateUser(ctx, newPersonal("alice", "Alice.Liddell@work.example")))

	// Writing the account unchanged conflicts with nothing of its own.
	same := up
	must(t, "UpdateUser unchanged", s.UpdateUser(ctx, &same))
	got, err = s.FindUserByID(ctx, u.ID)
	wantFound(t, "FindUserByID after an unchanged UpdateUser", got, err, &same)
}

// testManagedUser checks that managed accounts are found by email only within
// their managing group and personal ones only by FindPersonalUserByEmail.
func testManagedUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	g1 := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")

	m1 := newManaged(g1.ID, "m.one", "Shared@Example.org", "m.one@corp.example")
	must(t, "CreateUser(m.one, managed by acme)", s.CreateUser(ctx, m1))
	got, err := s.FindUserByID(ctx, m1.ID)
	wantFound(t, "FindUserByID(m.one)", got, err, m1)
	got, err = s.FindManagedUserByEmail(ctx, g1.ID, "shared@EXAMPLE.ORG")
	wantFound(t, "FindManagedUserByEmail(acme, shared@EXAMPLE.ORG)", got, err, m1)
	got, err = s.FindManagedUserByEmail(ctx, g1.ID, "M.ONE@corp.example")
	wantFound(t, "FindManagedUserByEmail(acme, M.ONE@corp.example)", got, err, m1)

	_, err = s.FindPersonalUserByEmail(ctx, "shared@example.org")
	wantKind(t, "FindPersonalUserByEmail(a managed account's email)", err, gatehouse.NotFound)
	_, err = s.FindManagedUserByEmail(ctx, g2.ID, "shared@example.org")
	wantKind(t, "FindManagedUserByEmail(another group, shared@example.org)", err, gatehouse.NotFound)

	// The same address may belong to a personal account and to a managed
	// account of another group; each lookup finds its own.
	p := newPersonal("p.one", "SHARED@example.org")
	must(t, "CreateUser(p.one, personal, SHARED@example.org)", s.CreateUser(ctx, p))
	m2 := newManaged(g2.ID, "m.two", "shared@example.org")
	must(t, "CreateUser(m.two, managed by bravo, shared@example.org)", s.CreateUser(ctx, m2))

	got, err = s.FindPersonalUserByEmail(ctx, "shared@example.org")
	wantFound(t, "FindPersonalUserByEmail(shared@example.org)", got, err, p)
	got, err = s.FindManagedUserByEmail(ctx, g1.ID, "shared@example.org")
	wantFound(t, "FindManagedUserByEmail(acme, shared@example.org)", got, err, m1)
	got, err = s.FindManagedUserByEmail(ctx, g2.ID, "shared@example.org")
	wantFound(t, "FindManagedUserByEmail(bravo, shared@example.org)", got, err, m2)
	_, err = s.FindManagedUserByEmail(ctx, g1.ID, "m.two@managed.example")
	wantKind(t, "FindManagedUserByEmail(acme, an address it has not)", err, gatehouse.NotFound)

	// Updating a managed account keeps it managed and replaces its emails.
	up := *m1
	up.Emails = []gatehouse.Email{{Address: "renamed@corp.example", Primary: true}}
	must(t, "UpdateUser(m.one)", s.UpdateUser(ctx, &up))
	got, err = s.FindManagedUserByEmail(ctx, g1.ID, "Renamed@Corp.Example")
	wantFound(t, "FindManagedUserByEmail(acme, Renamed@Corp.Example)", got, err, &up)
	_, err = s.FindManagedUserByEmail(ctx, g1.ID, "shared@example.org")
	wantKind(t, "FindManagedUserByEmail(acme, a removed address)", err, gatehouse.NotFound)
}

// testUsernameUnique checks that usernames are unique case-insensitively,
// on create and on update.
func testUsernameUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name          string
		first, second string
		conflict      bool
	}{
		{"same", "dave", "dave", true},
		{"upper then lower", "Alice", "alice", true},
		{"lower then upper", "bob", "BOB", true},
		{"mixed with punctuation", "Mixed.Case_9-x", "mIXED.cASE_9-X", true},
		{"different", "carol", "carol2", false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must(t, fmt.Sprintf("CreateUser(%q)", tc.first), s.CreateUser(ctx, newPersonal(tc.first, fmt.Sprintf("first%d@example.org", i))))
			second := newPersonal(tc.second, fmt.Sprintf("second%d@example.org", i))
			err := s.CreateUser(ctx, second)
			op := fmt.Sprintf("CreateUser(%q) after %q", tc.second, tc.first)
			if !tc.conflict {
				must(t, op, err)
				return
			}
			wantKind(t, op, err, gatehouse.Conflict)
			_, err = s.FindPersonalUserByEmail(ctx, second.Emails[0].Address)
			wantKind(t, "FindPersonalUserByEmail of the refused account", err, gatehouse.NotFound)
		})
	}

	t.Run("update", func(t *testing.T) {
		u := MustCreateUser(t, s, "erin")
		MustCreateUser(t, s, "frank")
		up := *u
		up.Username = "FRANK"
		wantKind(t, "UpdateUser(erin → FRANK)", s.UpdateUser(ctx, &up), gatehouse.Conflict)
		got, err := s.FindUserByID(ctx, u.ID)
		wantFound(t, "FindUserByID(erin) after the refused update", got, err, u)

		up = *u
		up.Username = "ERIN"
		must(t, "UpdateUser(erin → ERIN)", s.UpdateUser(ctx, &up))
		got, err = s.FindUserByUsername(ctx, "erin")
		wantFound(t, "FindUserByUsername(erin) after the case change", got, err, &up)
	})
}

// testEmailUnique checks the scopes of email uniqueness: personal accounts'
// addresses across the instance, managed accounts' within their group.
func testEmailUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	g1 := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")
	personal := func(emails ...string) func() *gatehouse.User {
		return func() *gatehouse.User { return newPersonal("", emails...) }
	}
	managed := func(g *gatehouse.Group, emails ...string) func() *gatehouse.User {
		return func() *gatehouse.User { return newManaged(g.ID, "", emails...) }
	}
	tests := []struct {
		name          string
		first, second func() *gatehouse.User
		conflict      bool
	}{
		{"personal, other case", personal("ünal@x.org"), personal("ÜNAL@X.ORG"), true},
		{"personal, composed and decomposed", personal("zoë@x.org"), personal("zoe\u0308@x.org"), true},
		{"personal, sharp s and SS", personal("straße@x.org"), personal("STRASSE@x.org"), true},
		{"personal, second address taken", personal("taken@x.org"), personal("fresh@x.org", "Taken@X.org"), true},
		{"managed twice in one group", managed(g1, "mg@x.org"), managed(g1, "MG@x.org"), true},
		{"managed in two groups", managed(g1, "two@x.org"), managed(g2, "TWO@x.org"), false},
		{"personal then managed", personal("pm@x.org"), managed(g1, "PM@x.org"), false},
		{"managed then personal", managed(g1, "mp@x.org"), personal("MP@x.org"), false},
		{"different addresses", personal("one@x.org"), personal("other@x.org"), false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first, second := tc.first(), tc.second()
			first.Username = fmt.Sprintf("row%d-first", i)
			second.Username = fmt.Sprintf("row%d-second", i)
			must(t, fmt.Sprintf("CreateUser(%q)", first.Emails[0].Address), s.CreateUser(ctx, first))
			err := s.CreateUser(ctx, second)
			op := fmt.Sprintf("CreateUser(%v) after CreateUser(%q)", second.Emails, first.Emails[0].Address)
			if !tc.conflict {
				must(t, op, err)
				got, err := s.FindUserByUsername(ctx, second.Username)
				wantFound(t, "FindUserByUsername of the second account", got, err, second)
				return
			}
			wantKind(t, op, err, gatehouse.Conflict)
			if taken, err := s.UsernameTaken(ctx, second.Username); err != nil || taken {
				t.Errorf("UsernameTaken(%q) of the refused account = %v, %v, want false, nil", second.Username, taken, err)
			}
		})
	}

	t.Run("update to a taken address", func(t *testing.T) {
		MustCreateUser(t, s, "owner")
		u := MustCreateUser(t, s, "grabber")
		up := *u
		up.Emails = []gatehouse.Email{{Address: "Owner@Example.org", Primary: true}}
		wantKind(t, "UpdateUser(grabber, Owner@Example.org)", s.UpdateUser(ctx, &up), gatehouse.Conflict)
		got, err := s.FindUserByID(ctx, u.ID)
		wantFound(t, "FindUserByID(grabber) after the refused update", got, err, u)
	})
}
