package sqldbtest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb"
	"github.com/gatehouse-sso/gatehouse/store/storetest"
)

// migrateDownTo rolls d's schema back to version, as if the database had
// last been migrated by a release that knew no later version.
func (d Database) migrateDownTo(t *testing.T, version int64) {
	t.Helper()
	fsys, err := sqldb.Migrations(d.Dir)
	if err != nil {
		t.Fatalf("Migrations(%q) = %v", d.Dir, err)
	}
	db, err := d.SQL()
	if err != nil {
		t.Fatalf("opening a handle on the database: %v", err)
	}
	defer db.Close()
	p, err := goose.NewProvider(d.Dialect, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatalf("goose.NewProvider = %v", err)
	}
	if _, err := p.DownTo(t.Context(), version); err != nil {
		t.Fatalf("migrating down to version %d: %v", version, err)
	}
}

// OpenUpgrade writes SCIM identities into d, takes its schema back to
// version 3, changes states there as the previous release would, and opens
// d again: migration 00004 must fill in the live count of every group,
// after which the counts follow every write, and Open the formatted name of
// every identity (more than one batch of them), which filters then find.
func OpenUpgrade(t *testing.T, d Database) {
	t.Helper()
	ctx := t.Context()
	s, err := d.Open(ctx, nil)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	// states lists each group's identities.
	groups := []struct {
		path   string
		states []gatehouse.IdentityState
	}{
		{"mixed", []gatehouse.IdentityState{gatehouse.IdentityActive, gatehouse.IdentityInactive, gatehouse.IdentityPendingLink,
			gatehouse.IdentityDeleted, gatehouse.IdentityActive, gatehouse.IdentityActive}},
		{"deleted-only", []gatehouse.IdentityState{gatehouse.IdentityDeleted, gatehouse.IdentityDeleted}},
		{"one", []gatehouse.IdentityState{gatehouse.IdentityInactive}},
		{"empty", nil},
	}
	var (
		ids  []*gatehouse.Group
		last []*gatehouse.SCIMIdentity // each group's last identity
		want []int
	)
	for _, g := range groups {
		grp := storetest.MustCreateGroup(t, s, g.path)
		ids = append(ids, grp)
		var si *gatehouse.SCIMIdentity
		live := 0
		for i, state := range g.states {
			name := fmt.Sprintf("%s-%d", g.path, i)
			si = storetest.MustCreateSCIMIdentity(t, s, grp.ID, storetest.MustCreateManagedUser(t, s, grp.ID, name).ID, name+"@idp")
			si.State = state
			si.Attributes = formattedDoc("Name of " + name)
			must(t, "UpdateSCIMIdentity", s.UpdateSCIMIdentity(ctx, si, 0))
			if state != gatehouse.IdentityDeleted {
				live++
			}
		}
		last = append(last, si)
		want = append(want, live)
	}
	many := storetest.MustCreateGroup(t, s, "many")
	const manyIdentities = 1100
	must(t, "InTx(create many)", s.InTx(ctx, func(q store.Queries) error {
		for i := range manyIdentities {
			name := fmt.Sprintf("many-%d", i)
			si := storetest.MustCreateSCIMIdentity(t, q, many.ID, storetest.MustCreateManagedUser(t, q, many.ID, name).ID, name+"@idp")
			si.Attributes = formattedDoc("Straße " + name)
			if err := q.UpdateSCIMIdentity(ctx, si, 0); err != nil {
				return err
			}
		}
		return nil
	}))
	s.Close()

	d.migrateDownTo(t, 3)
	// The previous release deletes the last identity of "mixed" and undoes
	// a delete in "deleted-only"; no trigger counts either change.
	d.Exec(t, `UPDATE scim_identities SET state = 'deleted' WHERE id = $1`, last[0].ID)
	d.Exec(t, `UPDATE scim_identities SET state = 'active' WHERE id = $1`, last[1].ID)
	want[0]--
	want[1]++

	s, err = d.Open(ctx, nil)
	if err != nil {
		t.Fatalf("Open after the downgrade = %v", err)
	}
	defer s.Close()
	check := func(when string) {
		t.Helper()
		for i, g := range ids {
			for _, p := range []store.Page{{Limit: 0}, {Offset: 1, Limit: 1}} {
				_, total, err := s.ListSCIMIdentities(ctx, g.ID, nil, p)
				if err != nil || total != want[i] {
					t.Errorf("ListSCIMIdentities(%s, %+v) %s = total %d, %v; want %d", g.Path, p, when, total, err, want[i])
				}
			}
		}
	}
	check("after the upgrade")
	filters := []struct {
		group  *gatehouse.Group
		filter string
		want   int
	}{
		{ids[0], `name.formatted sw "NAME OF MIXED-"`, want[0]},
		{ids[0], `name.formatted eq "name of mixed-1"`, 1},
		{ids[1], `name.formatted pr`, want[1]},
		{many, `name.formatted pr`, manyIdentities},
		{many, `name.formatted eq "STRASSE MANY-1099"`, 1},
		{many, `name.formatted co "-10"`, 111}, // many-10, many-100 … many-109, many-1000 … many-1099
	}
	for _, f := range filters {
		parsed, err := scimfilter.Parse(f.filter)
		must(t, "scimfilter.Parse", err)
		_, total, err := s.ListSCIMIdentities(ctx, f.group.ID, parsed, store.Page{Limit: 0})
		if err != nil || total != f.want {
			t.Errorf("ListSCIMIdentities(%s, %s) after the upgrade = total %d, %v; want %d", f.group.Path, f.filter, total, err, f.want)
		}
	}

	// The counts follow writes from then on.
	for i, g := range ids {
		name := fmt.Sprintf("%s-new", g.Path)
		storetest.MustCreateSCIMIdentity(t, s, g.ID, storetest.MustCreateManagedUser(t, s, g.ID, name).ID, name+"@idp")
		want[i]++
	}
	check("after a create in every group")
}

// formattedDoc returns a stored user document whose name.formatted is name.
func formattedDoc(name string) json.RawMessage {
	doc, _ := json.Marshal(map[string]any{"name": map[string]any{"formatted": name, "givenName": "G"}})
	return doc
}

// OpenUpgradeRoleSource takes d's schema back to before group links
// (version 8), writes memberships there as the previous release would, and
// opens d again: migration 00010 must mark a member whose role differs
// from the group's default role as direct (someone gave it), and every
// other member as holding the default role.
func OpenUpgradeRoleSource(t *testing.T, d Database) {
	t.Helper()
	ctx := t.Context()
	s, err := d.Open(ctx, nil)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	g := storetest.MustCreateGroup(t, s, "acme")
	dev := storetest.MustCreateGroup(t, s, "devs")
	dev.DefaultRole = gatehouse.Developer
	must(t, "UpdateGroup(devs)", s.UpdateGroup(ctx, dev))
	alice := storetest.MustCreateUser(t, s, "alice")
	bob := storetest.MustCreateUser(t, s, "bob")
	s.Close()

	d.migrateDownTo(t, 8)
	for _, m := range []struct {
		group, user int64
		role        gatehouse.Role
	}{{g.ID, alice.ID, gatehouse.Owner}, {g.ID, bob.ID, gatehouse.Guest}, {dev.ID, alice.ID, gatehouse.Developer}, {dev.ID, bob.ID, gatehouse.Guest}} {
		d.Exec(t, `INSERT INTO members (group_id, user_id, role, state, created_at, updated_at)
SELECT $1, $2, $3, 'active', created_at, updated_at FROM groups WHERE id = $1`, m.group, m.user, int(m.role))
	}

	s, err = d.Open(ctx, nil)
	if err != nil {
		t.Fatalf("Open after the downgrade = %v", err)
	}
	defer s.Close()
	for _, w := range []struct {
		group, user int64
		want        gatehouse.RoleSource
	}{{g.ID, alice.ID, gatehouse.RoleDirect}, {g.ID, bob.ID, gatehouse.RoleFromDefault},
		{dev.ID, alice.ID, gatehouse.RoleFromDefault}, {dev.ID, bob.ID, gatehouse.RoleDirect}} {
		m, err := s.FindMember(ctx, w.group, w.user)
		if err != nil || m.RoleSource != w.want {
			t.Errorf("FindMember(%d, %d) after migration 00010 = %+v, %v; want role source %q", w.group, w.user, m, err, w.want)
		}
	}
}
