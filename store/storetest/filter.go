package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testSCIMIdentityEmails checks that a SCIM identity's emails are written,
// read back by every Find and List in their order, and replaced as a set.
func testSCIMIdentityEmails(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	si := newSCIMIdentity(g.ID, MustCreateManagedUser(t, s, g.ID, "alice").ID, "alice@idp.example")
	si.Emails = []gatehouse.SCIMEmail{
		{Value: "Alice@Work.example", Type: "work", Primary: true},
		{Value: "alice@home.example", Type: "home"},
		{Value: "alice@work.example", Type: "other"}, // the same address again, in another case
		{Value: "Ünal@no-type.example"},
	}
	must(t, "CreateSCIMIdentity(4 emails)", s.CreateSCIMIdentity(ctx, si))
	bare := MustCreateSCIMIdentity(t, s, g.ID, MustCreateManagedUser(t, s, g.ID, "bob").ID, "bob@idp.example")
	carol := newSCIMIdentity(g.ID, MustCreateManagedUser(t, s, g.ID, "carol").ID, "carol@idp.example")
	carol.Emails = []gatehouse.SCIMEmail{{Value: "carol@work.example", Type: "work", Primary: true}}
	must(t, "CreateSCIMIdentity(carol)", s.CreateSCIMIdentity(ctx, carol))

	checkAll := func(when string, want *gatehouse.SCIMIdentity) {
		t.Helper()
		finds := []struct {
			op   string
			find func() (*gatehouse.SCIMIdentity, error)
		}{
			{"FindSCIMIdentity", func() (*gatehouse.SCIMIdentity, error) { return s.FindSCIMIdentity(ctx, g.ID, want.SCIMID) }},
			{"FindSCIMIdentityByExternUID", func() (*gatehouse.SCIMIdentity, error) {
				return s.FindSCIMIdentityByExternUID(ctx, g.ID, want.ExternUID)
			}},
			{"FindSCIMIdentityByUserName", func() (*gatehouse.SCIMIdentity, error) {
				return s.FindSCIMIdentityByUserName(ctx, g.ID, want.UserName)
			}},
			{"FindSCIMIdentityForUser", func() (*gatehouse.SCIMIdentity, error) {
				return s.FindSCIMIdentityForUser(ctx, g.ID, want.UserID, true)
			}},
		}
		for _, f := range finds {
			got, err := f.find()
			wantFound(t, f.op+" "+when, got, err, want)
			if err == nil && !slices.Equal(got.Emails, want.Emails) {
				t.Errorf("%s %s emails = %v, want %v in that order", f.op, when, got.Emails, want.Emails)
			}
		}
	}
	checkAll("after create", si)
	checkAll("of an identity without emails", bare)
	list, total, err := s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Limit: 10})
	wantFound(t, "ListSCIMIdentities", list, err, []*gatehouse.SCIMIdentity{si, bare, carol})
	wantTotal(t, "ListSCIMIdentities", total, 3)
	// A page that cuts the list still reads each identity's emails whole.
	list, _, err = s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Limit: 1})
	wantFound(t, "ListSCIMIdentities(Limit 1)", list, err, []*gatehouse.SCIMIdentity{si})
	list, _, err = s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Offset: 2, Limit: 1})
	wantFound(t, "ListSCIMIdentities(Offset 2, Limit 1)", list, err, []*gatehouse.SCIMIdentity{carol})

	// Update replaces the set.
	up := *si
	up.Emails = []gatehouse.SCIMEmail{{Value: "alice@new.example", Type: "work", Primary: true}, {Value: "alice@home.example", Type: "home"}}
	must(t, "UpdateSCIMIdentity(2 emails)", s.UpdateSCIMIdentity(ctx, &up, 0))
	checkAll("after replacing the emails", &up)
	f, err := scimfilter.Parse(`emails.value eq "alice@work.example"`)
	must(t, "scimfilter.Parse", err)
	list, total, err = s.ListSCIMIdentities(ctx, g.ID, f, store.Page{Limit: 10})
	wantFound(t, "ListSCIMIdentities(an address replaced away)", list, err, []*gatehouse.SCIMIdentity(nil))
	wantTotal(t, "ListSCIMIdentities(an address replaced away)", total, 0)

	up.Emails = nil
	must(t, "UpdateSCIMIdentity(no emails)", s.UpdateSCIMIdentity(ctx, &up, 0))
	checkAll("after removing the emails", &up)

	// A refused update leaves the emails as they were.
	stale := up
	stale.Emails = []gatehouse.SCIMEmail{{Value: "stale@example.org"}}
	wantKind(t, "UpdateSCIMIdentity(stale version)", s.UpdateSCIMIdentity(ctx, &stale, 1), gatehouse.Conflict)
	taken := up
	taken.UserName = "CAROL@idp.example"
	taken.Emails = stale.Emails
	wantKind(t, "UpdateSCIMIdentity(taken userName)", s.UpdateSCIMIdentity(ctx, &taken, 0), gatehouse.Conflict)
	checkAll("after the refused updates", &up)
	checkAll("of another identity", carol)

	// Many emails keep their order.
	many := up
	many.Emails = nil
	for i := range 1201 {
		many.Emails = append(many.Emails, gatehouse.SCIMEmail{Value: fmt.Sprintf("alice%04d@example.org", 1201-i), Type: "other"})
	}
	must(t, "UpdateSCIMIdentity(1201 emails)", s.UpdateSCIMIdentity(ctx, &many, 0))
	checkAll("with 1201 emails", &many)

	// The emails stay with the identity when it is deleted, for
	// FindSCIMIdentityForUser(includeDeleted).
	carol.State = gatehouse.IdentityDeleted
	must(t, "UpdateSCIMIdentity(carol deleted)", s.UpdateSCIMIdentity(ctx, carol, 0))
	got, err := s.FindSCIMIdentityForUser(ctx, g.ID, carol.UserID, true)
	wantFound(t, "FindSCIMIdentityForUser(deleted carol)", got, err, carol)
}

// filterFixture is a group of SCIM identities that the filter cases query.
type filterFixture struct {
	group *gatehouse.Group
	// by name: alice, unal, bob, carol are live; dave is deleted.
	ids map[string]*gatehouse.SCIMIdentity
	// names lists the live identities in list order.
	names []string
}

// newFilterFixture writes the identities the filter cases query, and an
// identity of another group that shares alice's values.
//
//	alice  active, externalId ext-alice, two emails (work primary, home)
//	unal   active, no externalId (extern_uid follows userName), Unicode names
//	bob    inactive, no displayName, one email of type other, no
//	       name.formatted; modified last
//	carol  pending link (active), LIKE metacharacters in userName and
//	       displayName, a sharp s in name.formatted, no emails, no
//	       familyName
//	dave   deleted, alice's displayName, name.formatted and work email
//
// name.formatted is in each identity's Attributes, the stored document.
func newFilterFixture(t *testing.T, s store.Store) *filterFixture {
	ctx := t.Context()
	fx := &filterFixture{group: MustCreateGroup(t, s, "acme"), ids: map[string]*gatehouse.SCIMIdentity{}}
	add := func(g *gatehouse.Group, name string, si gatehouse.SCIMIdentity) *gatehouse.SCIMIdentity {
		si.GroupID = g.ID
		si.UserID = MustCreateManagedUser(t, s, g.ID, name).ID
		si.SCIMID = "id-" + name + "-" + g.Path
		if si.ExternUID == "" {
			si.ExternUID = si.UserName
		}
		si.State = gatehouse.IdentityActive
		must(t, "CreateSCIMIdentity("+name+")", s.CreateSCIMIdentity(ctx, &si))
		return &si
	}
	work := func(v string, primary bool) gatehouse.SCIMEmail {
		return gatehouse.SCIMEmail{Value: v, Type: "work", Primary: primary}
	}
	alicesName := json.RawMessage(`{"userName":"alice@example.com","name":{"formatted":"Ms. Alice Q. Example","givenName":"Alice"}}`)
	fx.ids["alice"] = add(fx.group, "alice", gatehouse.SCIMIdentity{
		UserName: "alice@example.com", ExternUID: "ext-alice", ExternalIDSet: true,
		DisplayName: "Alice Example", GivenName: "Alice", FamilyName: "Example",
		Emails:     []gatehouse.SCIMEmail{work("alice@example.com", true), {Value: "alice@home.example", Type: "home"}},
		Attributes: alicesName,
	})
	fx.ids["unal"] = add(fx.group, "unal", gatehouse.SCIMIdentity{
		UserName: "ünal@example.com", DisplayName: "Ünal Öztürk", GivenName: "Ünal", FamilyName: "Öztürk",
		Emails:     []gatehouse.SCIMEmail{work("Ünal@Example.COM", true)},
		Attributes: json.RawMessage(`{"name":{"formatted":"Dr. Ünal Öztürk","familyName":"Öztürk"},"title":"Dr."}`),
	})
	fx.ids["bob"] = add(fx.group, "bob", gatehouse.SCIMIdentity{
		UserName: "bob@example.org", ExternUID: "EXT-BOB", ExternalIDSet: true, GivenName: "Bob", FamilyName: "Builder",
		Emails:     []gatehouse.SCIMEmail{{Value: "bob@example.org", Type: "other"}},
		Attributes: json.RawMessage(`{"name":{"givenName":"Bob","familyName":"Builder"},"displayName":"Bob the Builder"}`),
	})
	fx.ids["carol"] = add(fx.group, "carol", gatehouse.SCIMIdentity{
		UserName: "carol%_x@example.org", ExternUID: "ext-carol", ExternalIDSet: true,
		DisplayName: "100% carol_x", GivenName: "Carol",
		Attributes: json.RawMessage(`{"name":{"formatted":"Carol Straße"}}`),
	})
	fx.ids["dave"] = add(fx.group, "dave", gatehouse.SCIMIdentity{
		UserName: "dave@example.com", ExternUID: "ext-dave", ExternalIDSet: true,
		DisplayName: "Alice Example", GivenName: "Alice",
		Emails:     []gatehouse.SCIMEmail{work("alice@example.com", true)},
		Attributes: alicesName,
	})
	other := MustCreateGroup(t, s, "other")
	fx.ids["other"] = add(other, "other-alice", gatehouse.SCIMIdentity{
		UserName: "alice@example.com", ExternUID: "ext-alice", ExternalIDSet: true,
		DisplayName: "Alice Example", GivenName: "Alice", FamilyName: "Example",
		Emails:     []gatehouse.SCIMEmail{work("alice@example.com", true)},
		Attributes: alicesName,
	})
	// The states change after every identity exists, bob's last, so that
	// he alone was modified after carol.
	for _, c := range []struct {
		name  string
		state gatehouse.IdentityState
	}{{"carol", gatehouse.IdentityPendingLink}, {"dave", gatehouse.IdentityDeleted}, {"bob", gatehouse.IdentityInactive}} {
		si := fx.ids[c.name]
		si.State = c.state
		must(t, "UpdateSCIMIdentity("+c.name+", "+string(c.state)+")", s.UpdateSCIMIdentity(ctx, si, 0))
	}
	fx.names = []string{"alice", "unal", "bob", "carol"}
	return fx
}

// live returns the names of the live identities for which keep holds, in
// list order.
func (fx *filterFixture) live(keep func(*gatehouse.SCIMIdentity) bool) []string {
	var names []string
	for _, n := range fx.names {
		if keep(fx.ids[n]) {
			names = append(names, n)
		}
	}
	return names
}

// filterTime writes t for a filter, in a zone east of UTC so that the store
// must compare instants.
func filterTime(t time.Time) string {
	return `"` + t.In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano) + `"`
}

// testSCIMIdentityFilter runs filters of every operator on every
// filterable attribute against one group and checks which identities match.
func testSCIMIdentityFilter(t *testing.T, s store.Store) {
	fx := newFilterFixture(t, s)
	alice, bob, carol := fx.ids["alice"], fx.ids["bob"], fx.ids["carol"]
	half := 500 * time.Nanosecond

	tests := []struct {
		filter string
		want   []string
	}{
		// id: case-exact.
		{`id eq "id-alice-acme"`, []string{"alice"}},
		{`id eq "ID-ALICE-ACME"`, nil},
		{`id ne "id-alice-acme"`, []string{"unal", "bob", "carol"}},
		{`id co "lic"`, []string{"alice"}},
		{`id co "LIC"`, nil},
		{`id sw "id-"`, []string{"alice", "unal", "bob", "carol"}},
		{`id ew "-acme"`, []string{"alice", "unal", "bob", "carol"}},
		{`id gt "id-c"`, []string{"unal", "carol"}},
		{`id ge "id-bob-acme"`, []string{"unal", "bob", "carol"}},
		{`id lt "id-b"`, []string{"alice"}},
		{`id le "id-bob-acme"`, []string{"alice", "bob"}},
		{`id pr`, []string{"alice", "unal", "bob", "carol"}},
		{`id eq "id-other-alice-other"`, nil},
		{`id eq "id-dave-acme"`, nil},

		// externalId: case-insensitive, absent where the IdP never sent one.
		{`externalId eq "EXT-ALICE"`, []string{"alice"}},
		{`externalId eq "ext-bob"`, []string{"bob"}},
		{`externalId eq "ünal@example.com"`, nil},
		{`externalId ne "ext-alice"`, []string{"unal", "bob", "carol"}},
		{`externalId pr`, []string{"alice", "bob", "carol"}},
		{`not (externalId pr)`, []string{"unal"}},
		{`externalId eq null`, []string{"unal"}},
		{`externalId sw "EXT-"`, []string{"alice", "bob", "carol"}},
		{`externalId ew "ROL"`, []string{"carol"}},
		{`externalId co "x"`, []string{"alice", "bob", "carol"}},
		{`externalId gt "ext-b"`, []string{"bob", "carol"}},
		{`externalId lt "f"`, []string{"alice", "bob", "carol"}},
		{`externalId eq jyoung`, nil},

		// userName: case-insensitive, by canonical key.
		{`userName eq "alice@example.com"`, []string{"alice"}},
		{`userName eq "ALICE@EXAMPLE.COM"`, []string{"alice"}},
		{`userName eq ALICE@example.com`, []string{"alice"}},
		{`userName eq "ÜNAL@EXAMPLE.COM"`, []string{"unal"}},
		{"userName eq \"u\u0308nal@example.com\"", []string{"unal"}},
		{`userName ne "alice@example.com"`, []string{"unal", "bob", "carol"}},
		{`userName co "EXAMPLE.C"`, []string{"alice", "unal"}},
		{`userName sw "AL"`, []string{"alice"}},
		{`userName sw "alice@example.com"`, []string{"alice"}},
		{`userName sw B`, []string{"bob"}},
		{`userName sw "Ü"`, []string{"unal"}},
		{`userName ew ".ORG"`, []string{"bob", "carol"}},
		{`userName ew "ÜNAL@EXAMPLE.COM"`, []string{"unal"}},
		{`userName gt "c"`, []string{"unal", "carol"}},
		{`userName ge "BOB@example.org"`, []string{"unal", "bob", "carol"}},
		{`userName lt "bob"`, []string{"alice"}},
		{`userName le "bob@example.org"`, []string{"alice", "bob"}},
		{`userName pr`, []string{"alice", "unal", "bob", "carol"}},
		{`userName eq "dave@example.com"`, nil},
		// Order is byte order (code-point order), whatever the database's
		// collation: ü is after z, and % before -.
		{`userName gt "z"`, []string{"unal"}},
		{`userName lt "carol-"`, []string{"alice", "bob", "carol"}},
		{`displayName ge "z"`, []string{"unal"}},

		// displayName: bob has none.
		{`displayName eq "alice example"`, []string{"alice"}},
		{`displayName eq "ÜNAL ÖZTÜRK"`, []string{"unal"}},
		{`displayName ne "Alice Example"`, []string{"unal", "bob", "carol"}},
		{`displayName co "ÖZTÜRK"`, []string{"unal"}},
		{`displayName sw "alice"`, []string{"alice"}},
		{`displayName ew "EXAMPLE"`, []string{"alice"}},
		{`displayName lt "b"`, []string{"alice", "carol"}},
		{`displayName le "alice example"`, []string{"alice", "carol"}},
		{`displayName gt "b"`, []string{"unal"}},
		{`displayName ge ""`, []string{"alice", "unal", "carol"}},
		{`displayName eq ""`, nil},
		{`displayName pr`, []string{"alice", "unal", "carol"}},
		{`not (displayName pr)`, []string{"bob"}},
		{`displayName co ""`, []string{"alice", "unal", "carol"}},

		// LIKE's metacharacters match only themselves.
		{`displayName co "%"`, []string{"carol"}},
		{`displayName co "_"`, []string{"carol"}},
		{`displayName sw "100%"`, []string{"carol"}},
		{`displayName sw "1_0"`, nil},
		{`displayName ew "_X"`, []string{"carol"}},
		{`displayName co "x%"`, nil},
		{`userName co "%_"`, []string{"carol"}},
		{`userName co "_x@"`, []string{"carol"}},
		{`userName co "%"`, []string{"carol"}},
		{`userName sw "carol%"`, []string{"carol"}},
		{`userName sw "carol_"`, nil},
		{`externalId co "\\"`, nil},

		// name.*
		{`name.givenName eq "alice"`, []string{"alice"}},
		{`name.givenName pr`, []string{"alice", "unal", "bob", "carol"}},
		{`name.givenName co "O"`, []string{"bob", "carol"}},
		{`name.familyName sw "ÖZ"`, []string{"unal"}},
		{`name.familyName pr`, []string{"alice", "unal", "bob"}},
		{`name.familyName ne "builder"`, []string{"alice", "unal", "carol"}},
		{`name.FamilyName eq Example and (emails.Value co example.com or emails.Value co example.org)`, []string{"alice"}},

		// name.formatted: from the stored document; bob's has none.
		{`name.formatted eq "ms. alice q. example"`, []string{"alice"}},
		{`NAME.FORMATTED eq "MS. ALICE Q. EXAMPLE"`, []string{"alice"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.formatted eq "Ms. Alice Q. Example"`, []string{"alice"}},
		{`name.formatted eq "Alice Example"`, nil},
		{`name.formatted eq "DR. ÜNAL ÖZTÜRK"`, []string{"unal"}},
		{"name.formatted eq \"dr. U\u0308nal O\u0308ztu\u0308rk\"", []string{"unal"}},
		{`name.formatted co "STRASSE"`, []string{"carol"}},
		{`name.formatted ew "straße"`, []string{"carol"}},
		{`name.formatted sw "DR."`, []string{"unal"}},
		{`name.formatted co "q."`, []string{"alice"}},
		{`name.formatted gt "d"`, []string{"alice", "unal"}},
		{`name.formatted lt "d"`, []string{"carol"}},
		{`name.formatted ne "ms. alice q. example"`, []string{"unal", "bob", "carol"}},
		{`name.formatted pr`, []string{"alice", "unal", "carol"}},
		{`not (name.formatted pr)`, []string{"bob"}},
		{`name.formatted eq ""`, nil},
		{`name.givenName eq "alice" and name.formatted co "Q."`, []string{"alice"}},

		// emails: any one element matches.
		{`emails.value eq "ALICE@HOME.EXAMPLE"`, []string{"alice"}},
		{`emails.value eq "alice@example.com"`, []string{"alice"}},
		{`emails eq "ünal@example.com"`, []string{"unal"}},
		{`emails.value co "example.org"`, []string{"bob"}},
		{`emails.value sw "ALICE@"`, []string{"alice"}},
		{`emails.value ew "@example.com"`, []string{"alice", "unal"}},
		{`emails.value ne "alice@example.com"`, []string{"alice", "unal", "bob"}},
		{`not (emails.value eq "alice@example.com")`, []string{"unal", "bob", "carol"}},
		{`emails.type eq "WORK"`, []string{"alice", "unal"}},
		{`emails.type eq "home"`, []string{"alice"}},
		{`emails.primary eq true`, []string{"alice", "unal"}},
		{`emails.primary eq "False"`, []string{"alice", "bob"}},
		{`emails.primary ne true`, []string{"alice", "bob"}},
		{`emails pr`, []string{"alice", "unal", "bob"}},
		{`not (emails pr)`, []string{"carol"}},
		{`emails.type pr`, []string{"alice", "unal", "bob"}},

		// Value paths: one element matches the whole filter.
		{`emails[type eq "work" and value eq "alice@home.example"]`, nil},
		{`emails.type eq "work" and emails.value eq "alice@home.example"`, []string{"alice"}},
		{`emails[type eq "work"].value eq "ALICE@example.com"`, []string{"alice"}},
		{`emails[type eq "home"].value eq "alice@example.com"`, nil},
		{`emails[type eq "work" and primary eq true]`, []string{"alice", "unal"}},
		{`emails[not (type eq "work")]`, []string{"alice", "bob"}},
		{`emails[type eq "work" or type eq "other"].value co "EXAMPLE"`, []string{"alice", "unal", "bob"}},
		{`not (emails[type eq "home"])`, []string{"unal", "bob", "carol"}},
		{`emails[value pr]`, []string{"alice", "unal", "bob"}},

		// active.
		{`active eq true`, []string{"alice", "unal", "carol"}},
		{`active eq "True"`, []string{"alice", "unal", "carol"}},
		{`active eq false`, []string{"bob"}},
		{`active ne true`, []string{"bob"}},
		{`active ne false`, []string{"alice", "unal", "carol"}},
		{`active pr`, []string{"alice", "unal", "bob", "carol"}},
		{`not (active eq false)`, []string{"alice", "unal", "carol"}},

		// and, or, not, parentheses.
		{`userName sw "a" or userName sw "b"`, []string{"alice", "bob"}},
		{`(userName sw "a" or userName sw "b") and active eq true`, []string{"alice"}},
		{`userName sw "a" or userName sw "b" and active eq true`, []string{"alice"}},
		{`not (userName sw "a" or userName sw "b")`, []string{"unal", "carol"}},
		{`not (not (userName sw "a"))`, []string{"alice"}},
		{`userName pr and not (displayName pr) or emails[type eq "home"]`, []string{"alice", "bob"}},
		{`(externalId pr or displayName pr) and (emails pr and active eq true)`, []string{"alice", "unal"}},

		// Times.
		{`meta.created eq ` + filterTime(alice.CreatedAt), []string{"alice"}},
		{`meta.created ne ` + filterTime(alice.CreatedAt), []string{"unal", "bob", "carol"}},
		{`meta.created eq ` + filterTime(alice.CreatedAt.Add(half)), nil},
		{`meta.created ne ` + filterTime(alice.CreatedAt.Add(half)), []string{"alice", "unal", "bob", "carol"}},
		{`meta.created pr`, []string{"alice", "unal", "bob", "carol"}},
		{`meta.created lt 2000-01-01T00:00:00Z`, nil},
		{`meta.created gt 2000-01-01T00:00:00Z`, []string{"alice", "unal", "bob", "carol"}},
		{`meta.created ge "0001-01-01T00:00:00Z"`, []string{"alice", "unal", "bob", "carol"}},
	}
	// Time comparisons whose answer depends on when the rows were written.
	type timed struct {
		filter string
		keep   func(*gatehouse.SCIMIdentity) bool
	}
	for _, tc := range []timed{
		{`meta.created ge ` + filterTime(bob.CreatedAt), func(s *gatehouse.SCIMIdentity) bool { return !s.CreatedAt.Before(bob.CreatedAt) }},
		{`meta.created gt ` + filterTime(bob.CreatedAt), func(s *gatehouse.SCIMIdentity) bool { return s.CreatedAt.After(bob.CreatedAt) }},
		{`meta.created lt ` + filterTime(bob.CreatedAt), func(s *gatehouse.SCIMIdentity) bool { return s.CreatedAt.Before(bob.CreatedAt) }},
		{`meta.created le ` + filterTime(bob.CreatedAt), func(s *gatehouse.SCIMIdentity) bool { return !s.CreatedAt.After(bob.CreatedAt) }},
		{`meta.created gt ` + filterTime(bob.CreatedAt.Add(half)), func(s *gatehouse.SCIMIdentity) bool { return s.CreatedAt.After(bob.CreatedAt) }},
		{`meta.created ge ` + filterTime(bob.CreatedAt.Add(half)), func(s *gatehouse.SCIMIdentity) bool { return s.CreatedAt.After(bob.CreatedAt) }},
		{`meta.created lt ` + filterTime(bob.CreatedAt.Add(half)), func(s *gatehouse.SCIMIdentity) bool { return !s.CreatedAt.After(bob.CreatedAt) }},
		{`meta.created le ` + filterTime(bob.CreatedAt.Add(half)), func(s *gatehouse.SCIMIdentity) bool { return !s.CreatedAt.After(bob.CreatedAt) }},
		{`meta.lastModified gt ` + filterTime(carol.UpdatedAt), func(s *gatehouse.SCIMIdentity) bool { return s.UpdatedAt.After(carol.UpdatedAt) }},
		{`meta.lastModified le ` + filterTime(carol.UpdatedAt), func(s *gatehouse.SCIMIdentity) bool { return !s.UpdatedAt.After(carol.UpdatedAt) }},
		{`meta.lastModified eq ` + filterTime(bob.UpdatedAt), func(s *gatehouse.SCIMIdentity) bool { return s.UpdatedAt.Equal(bob.UpdatedAt) }},
	} {
		tests = append(tests, struct {
			filter string
			want   []string
		}{tc.filter, fx.live(tc.keep)})
	}
	// The fixture modifies bob last.
	if got := fx.live(func(s *gatehouse.SCIMIdentity) bool { return s.UpdatedAt.After(carol.UpdatedAt) }); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("identities modified after carol = %v, want [bob]", got)
	}

	for _, tt := range tests {
		f, err := scimfilter.Parse(tt.filter)
		if err != nil {
			t.Errorf("scimfilter.Parse(%q) = %v", tt.filter, err)
			continue
		}
		checkFilter(t, s, fx, fx.group.ID, f, tt.filter, tt.want)
	}
}

// checkFilter lists the group's identities matching f and checks that they
// are the named ones, in order, with their total.
func checkFilter(t *testing.T, s store.Store, fx *filterFixture, groupID int64, f scimfilter.Filter, filter string, want []string) {
	t.Helper()
	op := fmt.Sprintf("ListSCIMIdentities(%s)", filter)
	wantRows := []*gatehouse.SCIMIdentity{}
	for _, n := range want {
		wantRows = append(wantRows, fx.ids[n])
	}
	got, total, err := s.ListSCIMIdentities(t.Context(), groupID, f, store.Page{Limit: 100})
	if err != nil {
		t.Errorf("%s = %v, want %v", op, err, want)
		return
	}
	var names []string
	for _, g := range got {
		for n, si := range fx.ids {
			if si.ID == g.ID {
				names = append(names, n)
			}
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("%s = %v, want %v", op, names, want)
		return
	}
	wantFound(t, op, got, nil, wantRows)
	wantTotal(t, op, total, len(want))
}

// testSCIMIdentityFilterScope checks that filters never reach another
// group's or a deleted identity, that totals and pages follow the filter,
// and that a filter scimfilter.Parse would not build is Invalid.
func testSCIMIdentityFilterScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	fx := newFilterFixture(t, s)
	otherGroup := fx.ids["other"].GroupID

	// Group isolation: the other group's alice shares every value of
	// alice's; the deleted dave shares her displayName and work email.
	for _, filter := range []string{
		`userName eq "alice@example.com"`,
		`externalId eq "ext-alice"`,
		`displayName eq "Alice Example"`,
		`emails.value eq "alice@example.com"`,
		`emails[type eq "work"].value eq "alice@example.com"`,
		`name.givenName eq "alice" and emails.primary eq true`,
		`name.formatted eq "Ms. Alice Q. Example"`,
	} {
		f, err := scimfilter.Parse(filter)
		must(t, "scimfilter.Parse", err)
		checkFilter(t, s, fx, fx.group.ID, f, filter, []string{"alice"})
		checkFilter(t, s, fx, otherGroup, f, filter+" in the other group", []string{"other"})
		checkFilter(t, s, fx, missingID, f, filter+" in a missing group", nil)
	}

	// Totals and pages under a filter.
	f, err := scimfilter.Parse(`userName ew "example.org" or emails.type eq "work"`)
	must(t, "scimfilter.Parse", err)
	want := []int64{fx.ids["alice"].ID, fx.ids["unal"].ID, fx.ids["bob"].ID, fx.ids["carol"].ID}
	checkPaging(t, "ListSCIMIdentities(filtered)", want, func(p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
		return s.ListSCIMIdentities(ctx, fx.group.ID, f, p)
	}, scimID)
	f, err = scimfilter.Parse(`emails.type eq "work" and not (userName sw "a")`)
	must(t, "scimfilter.Parse", err)
	checkPaging(t, "ListSCIMIdentities(filtered to one)", []int64{fx.ids["unal"].ID}, func(p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
		return s.ListSCIMIdentities(ctx, fx.group.ID, f, p)
	}, scimID)

	// Filters that Parse never builds.
	for _, tc := range []struct {
		name string
		f    scimfilter.Filter
	}{
		{"unknown attribute", scimfilter.Compare{Attr: "title", Op: scimfilter.Eq, Value: "x"}},
		{"boolean for a string", scimfilter.Compare{Attr: scimfilter.UserName, Op: scimfilter.Eq, Value: true}},
		{"string for a boolean", scimfilter.Compare{Attr: scimfilter.Active, Op: scimfilter.Eq, Value: "true"}},
		{"gt on a boolean", scimfilter.Compare{Attr: scimfilter.Active, Op: scimfilter.Gt, Value: true}},
		{"string for a time", scimfilter.Compare{Attr: scimfilter.Created, Op: scimfilter.Gt, Value: "2020-01-01T00:00:00Z"}},
		{"co on a time", scimfilter.Compare{Attr: scimfilter.Created, Op: scimfilter.Co, Value: time.Now()}},
		{"unknown operator", scimfilter.Compare{Attr: scimfilter.UserName, Op: "xx", Value: "x"}},
		{"invalid UTF-8", scimfilter.Compare{Attr: scimfilter.UserName, Op: scimfilter.Sw, Value: "\xff"}},
		{"NUL", scimfilter.Compare{Attr: scimfilter.UserName, Op: scimfilter.Eq, Value: "a\x00"}},
		{"value path on phoneNumbers", scimfilter.ValuePath{Attr: "phoneNumbers", Filter: scimfilter.Compare{Attr: scimfilter.EmailType, Op: scimfilter.Pr}}},
		{"userName inside a value path", scimfilter.ValuePath{Attr: scimfilter.Emails, Filter: scimfilter.Compare{Attr: scimfilter.UserName, Op: scimfilter.Pr}}},
		{"nested value paths", scimfilter.ValuePath{Attr: scimfilter.Emails, Filter: scimfilter.ValuePath{Attr: scimfilter.Emails,
			Filter: scimfilter.Compare{Attr: scimfilter.EmailType, Op: scimfilter.Pr}}}},
		{"too deep", deepNot(100)},
	} {
		_, _, err := s.ListSCIMIdentities(ctx, fx.group.ID, tc.f, store.Page{Limit: 10})
		wantKind(t, "ListSCIMIdentities("+tc.name+")", err, gatehouse.Invalid)
	}
	got, total, err := s.ListSCIMIdentities(ctx, fx.group.ID, deepNot(scimfilter.MaxDepth*2), store.Page{Limit: 10})
	wantIDs(t, "ListSCIMIdentities(not nested 16 times)", got, err, scimID, want)
	wantTotal(t, "ListSCIMIdentities(not nested 16 times)", total, len(want))

	// name.formatted follows the document an update writes.
	for _, c := range []struct {
		name  string
		attrs json.RawMessage
		want  map[string][]string // filter: names
	}{
		{"a new name.formatted", json.RawMessage(`{"name":{"formatted":"Ünal Q. Öztürk"}}`), map[string][]string{
			`name.formatted eq "ünal q. öztürk"`: {"unal"}, `name.formatted sw "Dr."`: nil,
		}},
		{"no name.formatted", json.RawMessage(`{"name":{"givenName":"Ünal"}}`), map[string][]string{
			`name.formatted pr`: {"alice", "carol"}, `name.formatted co "Ünal"`: nil,
		}},
		{"no document", nil, map[string][]string{`name.formatted pr`: {"alice", "carol"}}},
		{"name.formatted again", json.RawMessage(`{"name":{"formatted":"Ünal"}}`), map[string][]string{
			`name.formatted pr`: {"alice", "unal", "carol"}, `name.formatted eq "ÜNAL"`: {"unal"},
		}},
	} {
		unal := fx.ids["unal"]
		unal.Attributes = c.attrs
		must(t, "UpdateSCIMIdentity(unal, "+c.name+")", s.UpdateSCIMIdentity(ctx, unal, 0))
		for filter, want := range c.want {
			f, err := scimfilter.Parse(filter)
			must(t, "scimfilter.Parse", err)
			checkFilter(t, s, fx, fx.group.ID, f, filter+" after an update to "+c.name, want)
		}
	}
}

// deepNot returns userName pr under n nots.
func deepNot(n int) scimfilter.Filter {
	var f scimfilter.Filter = scimfilter.Compare{Attr: scimfilter.UserName, Op: scimfilter.Pr}
	for range n {
		f = scimfilter.Not{X: f}
	}
	return f
}
