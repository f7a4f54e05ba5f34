package admin_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// BenchMembersEnv sets how many members BenchmarkRecomputeGroup seeds
// (default 100,000); a smaller number makes a quick run.
const benchMembersEnv = "GATEHOUSE_BENCH_MEMBERS"

// BenchmarkRecomputeGroup measures a full role recompute of one group
// (admin.Roles.Group, what adding or removing a link runs) on each
// backend, in a group whose members are half in the linked IdP group
// (their SAML groups stored) and half in none:
//
//   - NoChange: every member read and decided, nothing written.
//   - HalfChange: the link's role flips, so half the members change role,
//     each with its membership write and audit event, in one transaction.
//
// Run with -benchtime 1x at 100,000 members: one iteration takes seconds.
func BenchmarkRecomputeGroup(b *testing.B) {
	n := 100_000
	if v := os.Getenv(benchMembersEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			b.Fatalf("%s=%q: want a number of at least 2", benchMembersEnv, v)
		}
	}
	for _, be := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", sqlitestoretest.Open}, {"postgres", pgstoretest.Open}} {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			svc := &admin.Service{Store: s, PasswordParams: fastParams}
			g := seedMembers(b, s, n)
			link := &gatehouse.GroupLink{GroupID: g.ID, IdPGroup: "Engineering", Role: gatehouse.Developer}
			if err := s.CreateGroupLink(b.Context(), link); err != nil {
				b.Fatal(err)
			}
			roles := svc.Roles()
			recompute := func(b *testing.B, flip bool) int {
				var changed int
				err := s.InTx(b.Context(), func(q store.Queries) error {
					if flip {
						if err := q.DeleteGroupLink(b.Context(), g.ID, link.ID); err != nil {
							return err
						}
						link.Role = map[gatehouse.Role]gatehouse.Role{gatehouse.Developer: gatehouse.Maintainer, gatehouse.Maintainer: gatehouse.Developer}[link.Role]
						if err := q.CreateGroupLink(b.Context(), link); err != nil {
							return err
						}
					}
					ch, err := roles.Group(b.Context(), q, g, admin.System, admin.Cause{Kind: "link_added", Link: link})
					changed = len(ch)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				return changed
			}
			recompute(b, false) // the first pass gives the linked half their role
			b.Run("NoChange", func(b *testing.B) {
				for b.Loop() {
					if c := recompute(b, false); c != 0 {
						b.Fatalf("recompute changed %d members, want 0", c)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/member")
			})
			b.Run("HalfChange", func(b *testing.B) {
				for b.Loop() {
					if c := recompute(b, true); c != n/2 {
						b.Fatalf("recompute changed %d members, want %d", c, n/2)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n/2), "ns/change")
			})
		})
	}
}

// seedMembers creates a group of n members at the default role, the even
// ones seen in the IdP group Engineering at their last SAML sign-in.
func seedMembers(b *testing.B, s store.Store, n int) *gatehouse.Group {
	ctx := b.Context()
	start := time.Now()
	g := &gatehouse.Group{Path: "bench", Name: "bench", DefaultRole: gatehouse.Guest}
	if err := s.CreateGroup(ctx, g); err != nil {
		b.Fatal(err)
	}
	for from := 0; from < n; from += 1000 {
		err := s.InTx(ctx, func(q store.Queries) error {
			for i := from; i < min(from+1000, n); i++ {
				u := &gatehouse.User{Username: fmt.Sprintf("m%07d", i), Name: "m", Kind: gatehouse.Managed, ManagingGroupID: g.ID,
					State: gatehouse.UserActive, Emails: []gatehouse.Email{{Address: fmt.Sprintf("m%07d@corp.example", i), Primary: true}}}
				if err := q.CreateUser(ctx, u); err != nil {
					return err
				}
				if err := q.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: gatehouse.Guest, State: gatehouse.MemberActive}); err != nil {
					return err
				}
				groups := []string{"Everyone"}
				if i%2 == 0 {
					groups = append(groups, "Engineering")
				}
				if err := q.ReplaceUserIdPGroups(ctx, g.ID, u.ID, gatehouse.IdPGroupSAML, groups); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seeding members %d to %d: %v", from, from+1000, err)
		}
	}
	b.Logf("seeded %d members in %v", n, time.Since(start).Round(time.Millisecond))
	return g
}
