package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
	"github.com/gatehouse-sso/gatehouse/store/storetest"
)

// FuzzFilterSQL drives the whole filter path, from the text a client sends
// to the SQL the store runs: whatever the parser accepts must compile and
// run without an internal error, and its results must belong to the group.
func FuzzFilterSQL(f *testing.F) {
	for _, seed := range []string{
		`userName eq "user1@fuzz.example"`,
		`userName sw "USER" and not (active eq false)`,
		`emails[type eq "work" and value co "@fuzz"]`,
		`emails[type eq "work"].value ew ".example" or displayName pr`,
		`meta.lastModified gt "2020-01-01T00:00:00Z" and externalId ne "x"`,
		`name.familyName le "z" or name.givenName ge "%_\\"`,
		`id eq 12345`,
		`userName eq Alice`,
	} {
		f.Add(seed)
	}
	s := sqlitestoretest.Open(f)
	ctx := context.Background()
	g := storetest.MustCreateGroup(f, s, "fuzz")
	other := storetest.MustCreateGroup(f, s, "other")
	for i, gid := range []int64{g.ID, g.ID, g.ID, other.ID} {
		u := storetest.MustCreateManagedUser(f, s, gid, fmt.Sprintf("user%d", i))
		si := storetest.MustCreateSCIMIdentity(f, s, gid, u.ID, fmt.Sprintf("ext%d", i))
		si.DisplayName = fmt.Sprintf("User %d", i)
		si.Emails = []gatehouse.SCIMEmail{{Value: fmt.Sprintf("user%d@fuzz.example", i), Type: "work", Primary: true}}
		if err := s.UpdateSCIMIdentity(ctx, si, 0); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		flt, err := scimfilter.Parse(text)
		if err != nil {
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidFilter {
				t.Fatalf("Parse(%q) = %v, want a 400 invalidFilter", text, err)
			}
			return
		}
		list, total, err := s.ListSCIMIdentities(ctx, g.ID, flt, store.Page{Limit: 10})
		if err != nil {
			t.Fatalf("ListSCIMIdentities(%q) = %v, want no error for a filter the parser accepts", text, err)
		}
		if total < len(list) || total > 3 {
			t.Fatalf("ListSCIMIdentities(%q) = %d rows, total %d; the group has 3", text, len(list), total)
		}
		for _, si := range list {
			if si.GroupID != g.ID {
				t.Fatalf("ListSCIMIdentities(%q) returned a row of group %d", text, si.GroupID)
			}
		}
	})
}
