package storetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/store"
)

// BenchIdentitiesEnv names the environment variable that sets how many SCIM
// identities Bench seeds for its lookup and list benchmarks (default
// 100,000); a smaller number makes a quick run.
const BenchIdentitiesEnv = "GATEHOUSE_BENCH_IDENTITIES"

// seedBatch is how many accounts and identities one seeding transaction
// writes.
const seedBatch = 1000

// Bench runs benchmarks of the store's hot paths as sub-benchmarks of b:
//
//   - CreateUserAndSCIMIdentity: what a SCIM POST writes, in one transaction
//     (a managed account, its SCIM identity, its membership, an audit event).
//   - AppendSCIMRequestLogs: a batch of SCIM request log entries of the size
//     a POST makes, written to a full log (so each batch also trims as many
//     entries); ns/entry is the cost of one logged request.
//   - FindSCIMIdentityByExternUID: a lookup by extern_uid, in another case,
//     in a group of many identities.
//   - ListSCIMIdentitiesPage100/Offset and /AfterID: a page of 100 at a random
//     position, with its total, by offset and by keyset.
//
// open returns a fresh, empty store and registers its own cleanup. Bench opens
// one store for the first benchmark and seeds another once, before the others
// run, with the number of identities BenchIdentitiesEnv says; seeding time is
// logged.
func Bench(b *testing.B, open func(tb testing.TB) store.Store) {
	b.Run("CreateUserAndSCIMIdentity", func(b *testing.B) { benchCreate(b, open(b)) })
	b.Run("AppendSCIMRequestLogs", func(b *testing.B) { benchSCIMLog(b, open(b)) })

	n := benchIdentities(b)
	seed := seedIdentities(b, open(b), n)
	b.Run("FindSCIMIdentityByExternUID", func(b *testing.B) {
		ctx := b.Context()
		for b.Loop() {
			k := rand.IntN(n)
			got, err := seed.store.FindSCIMIdentityByExternUID(ctx, seed.group.ID, seed.lookups[k])
			if err != nil || got.ID != seed.ids[k] {
				b.Fatalf("FindSCIMIdentityByExternUID(%q) = %v, %v, want row %d", seed.lookups[k], got, err, seed.ids[k])
			}
		}
	})
	b.Run("ListSCIMIdentitiesPage100", func(b *testing.B) {
		b.Run("Offset", func(b *testing.B) {
			for b.Loop() {
				p := store.Page{Offset: rand.IntN(n - 100 + 1), Limit: 100}
				benchPage(b, seed, p, seed.ids[p.Offset])
			}
		})
		b.Run("AfterID", func(b *testing.B) {
			for b.Loop() {
				k := rand.IntN(n - 100)
				benchPage(b, seed, store.Page{AfterID: seed.ids[k], Limit: 100}, seed.ids[k+1])
			}
		})
	})
}

// benchIdentities returns the number of identities to seed.
func benchIdentities(b *testing.B) int {
	v := os.Getenv(BenchIdentitiesEnv)
	if v == "" {
		return 100_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 101 {
		b.Fatalf("%s=%q: want a number of at least 101", BenchIdentitiesEnv, v)
	}
	return n
}

// benchCreate measures what a SCIM POST writes.
func benchCreate(b *testing.B, s store.Store) {
	ctx := b.Context()
	g := MustCreateGroup(b, s, "bench")
	i := 0
	for b.Loop() {
		i++
		err := s.InTx(ctx, func(q store.Queries) error {
			u := newManaged(g.ID, fmt.Sprintf("user%d", i), fmt.Sprintf("user%d@corp.example", i))
			if err := q.CreateUser(ctx, u); err != nil {
				return err
			}
			si := newSCIMIdentity(g.ID, u.ID, fmt.Sprintf("User%d@IdP.example", i))
			si.Attributes = []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"active":true}`)
			if err := q.CreateSCIMIdentity(ctx, si); err != nil {
				return err
			}
			m := &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: gatehouse.Guest, State: gatehouse.MemberActive}
			if err := q.PutMember(ctx, m); err != nil {
				return err
			}
			return q.CreateAuditEvent(ctx, &gatehouse.AuditEvent{
				GroupID: g.ID, ActorKind: gatehouse.ActorSCIMToken, ActorID: 1,
				Action: "scim.user.create", TargetKind: "scim_identity", TargetID: si.SCIMID,
			})
		})
		if err != nil {
			b.Fatalf("InTx(create user %d) = %v", i, err)
		}
	}
}

// seeded is a store holding one group with many SCIM identities.
type seeded struct {
	store   store.Store
	group   *gatehouse.Group
	ids     []int64  // the identities' row ids, in list order
	lookups []string // each identity's extern_uid in upper case
}

// seedIdentities writes n managed accounts and their SCIM identities into one
// group of s, seedBatch to a transaction. Identity i has userName and
// extern_uid Seed<i>@IdP.example, displayName "Display " and that, given and
// family names, and two emails (Seed<i>@Corp.example, work and primary;
// seed<i>@home.example, home), i written with seven digits.
func seedIdentities(b *testing.B, s store.Store, n int) *seeded {
	ctx := b.Context()
	start := time.Now()
	sd := &seeded{store: s, group: MustCreateGroup(b, s, "seeded")}
	for from := 0; from < n; from += seedBatch {
		err := s.InTx(ctx, func(q store.Queries) error {
			for i := from; i < min(from+seedBatch, n); i++ {
				u := newManaged(sd.group.ID, fmt.Sprintf("seed%07d", i), fmt.Sprintf("seed%07d@corp.example", i))
				if err := q.CreateUser(ctx, u); err != nil {
					return err
				}
				uid := fmt.Sprintf("Seed%07d@IdP.example", i)
				si := newSCIMIdentity(sd.group.ID, u.ID, uid)
				si.GivenName = fmt.Sprintf("Given%07d", i)
				si.FamilyName = fmt.Sprintf("Family%07d", i)
				si.Emails = []gatehouse.SCIMEmail{
					{Value: fmt.Sprintf("Seed%07d@Corp.example", i), Type: "work", Primary: true},
					{Value: fmt.Sprintf("seed%07d@home.example", i), Type: "home"},
				}
				if err := q.CreateSCIMIdentity(ctx, si); err != nil {
					return err
				}
				sd.ids = append(sd.ids, si.ID)
				sd.lookups = append(sd.lookups, strings.ToUpper(uid))
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seeding identities %d to %d: %v", from, from+seedBatch, err)
		}
	}
	d := time.Since(start)
	b.Logf("seeded %d accounts and SCIM identities in %v (%v each)", n, d.Round(time.Millisecond), d/time.Duration(n))
	return sd
}

// benchPage lists one page of the seeded group and checks its first row and
// total.
func benchPage(b *testing.B, sd *seeded, p store.Page, first int64) {
	list, total, err := sd.store.ListSCIMIdentities(b.Context(), sd.group.ID, nil, p)
	if err != nil || len(list) != 100 || list[0].ID != first || total != len(sd.ids) {
		b.Fatalf("ListSCIMIdentities(%+v) = %d rows, total %d, %v, want 100 rows from row %d, total %d",
			p, len(list), total, err, first, len(sd.ids))
	}
}

// BenchFilter runs benchmarks of SCIM filters as sub-benchmarks of b, each a
// ListSCIMIdentities of a page of 100 with its total, in a group of many
// identities (BenchIdentitiesEnv), seeded as Bench seeds them:
//
//   - UserNameEq, ExternalIDEq: userName or externalId eq one identity's, in
//     upper case (an index lookup).
//   - EmailsValueEq: emails.value eq one identity's work address.
//   - UserNameSw: userName sw a prefix that 100 identities share.
//   - DisplayNameCo: displayName co four digits (a scan of the group).
//
// Besides the mean time per operation, each reports the 50th and 99th
// percentile latencies (p50-us, p99-us). open returns a fresh, empty store
// and registers its own cleanup.
func BenchFilter(b *testing.B, open func(tb testing.TB) store.Store) {
	n := benchIdentities(b)
	sd := seedIdentities(b, open(b), n)
	// The first read of freshly written rows is slow on PostgreSQL, which
	// then sets the rows' hint bits and so writes every page; scanning
	// both tables once keeps that out of the measurements.
	for _, f := range []scimfilter.Filter{
		scimfilter.Compare{Attr: scimfilter.DisplayName, Op: scimfilter.Co, Value: "warm-up"},
		scimfilter.Compare{Attr: scimfilter.EmailValue, Op: scimfilter.Co, Value: "warm-up"},
	} {
		if _, _, err := sd.store.ListSCIMIdentities(b.Context(), sd.group.ID, f, store.Page{Limit: 1}); err != nil {
			b.Fatalf("ListSCIMIdentities(%v) = %v", f, err)
		}
	}
	eq := func(attr scimfilter.Attr, value func(k int) string) func(b *testing.B) {
		return func(b *testing.B) {
			benchFilter(b, sd, func() (scimfilter.Filter, []int64) {
				k := rand.IntN(n)
				return scimfilter.Compare{Attr: attr, Op: scimfilter.Eq, Value: value(k)}, sd.ids[k : k+1]
			})
		}
	}
	b.Run("UserNameEq", eq(scimfilter.UserName, func(k int) string { return sd.lookups[k] }))
	b.Run("ExternalIDEq", eq(scimfilter.ExternalID, func(k int) string { return sd.lookups[k] }))
	b.Run("EmailsValueEq", eq(scimfilter.EmailValue, func(k int) string { return fmt.Sprintf("SEED%07d@corp.EXAMPLE", k) }))
	b.Run("UserNameSw", func(b *testing.B) {
		benchFilter(b, sd, func() (scimfilter.Filter, []int64) {
			k := rand.IntN((n + 99) / 100)
			f := scimfilter.Compare{Attr: scimfilter.UserName, Op: scimfilter.Sw, Value: fmt.Sprintf("SEED%05d", k)}
			return f, sd.ids[k*100 : min(k*100+100, n)]
		})
	})
	// Four digits occur in many identities' names; which ones is worked out
	// once, for a few probes.
	type probe struct {
		digits string
		ids    []int64
	}
	var probes []probe
	for range 16 {
		p := probe{digits: fmt.Sprintf("%04d", rand.IntN(10_000))}
		for i := range n {
			if strings.Contains(fmt.Sprintf("%07d", i), p.digits) {
				p.ids = append(p.ids, sd.ids[i])
			}
		}
		probes = append(probes, p)
	}
	b.Run("DisplayNameCo", func(b *testing.B) {
		benchFilter(b, sd, func() (scimfilter.Filter, []int64) {
			p := probes[rand.IntN(len(probes))]
			return scimfilter.Compare{Attr: scimfilter.DisplayName, Op: scimfilter.Co, Value: p.digits}, p.ids
		})
	})
}

// benchFilter measures ListSCIMIdentities with the filters next returns,
// checking each answer against the ids of the identities it must match, and
// reports latency percentiles.
func benchFilter(b *testing.B, sd *seeded, next func() (scimfilter.Filter, []int64)) {
	ctx := b.Context()
	var took []time.Duration
	for b.Loop() {
		f, want := next()
		start := time.Now()
		list, total, err := sd.store.ListSCIMIdentities(ctx, sd.group.ID, f, store.Page{Limit: 100})
		took = append(took, time.Since(start))
		if err != nil || total != len(want) || len(list) != min(100, len(want)) || (len(list) > 0 && list[0].ID != want[0]) {
			b.Fatalf("ListSCIMIdentities(%v) = %d rows, total %d, %v; want %d rows from row %v, total %d",
				f, len(list), total, err, min(100, len(want)), want[:min(1, len(want))], len(want))
		}
	}
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(float64(len(took))*p))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
}

// benchSCIMLog appends batches of logBatch entries, with the bodies of a
// typical POST, to a log already holding keep entries.
func benchSCIMLog(b *testing.B, s store.Store) {
	const keep, logBatch = 1000, 100
	ctx := b.Context()
	g := MustCreateGroup(b, s, "bench")
	req := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
		`"externalId":"0f6c3a52-8e4b-4f0e-9a61-6f1d2c9b7e01","userName":"alice.example@corp.example","active":true,` +
		`"displayName":"Alice Example","name":{"givenName":"Alice","familyName":"Example","formatted":"Alice Example"},` +
		`"emails":[{"primary":true,"type":"work","value":"alice.example@corp.example"}],` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering","employeeNumber":"12345"}}`
	resp := strings.Replace(req, `"externalId"`, `"id":"6a1f0d1e-2b7c-4d57-9d0a-3c1e5f7b9a20","meta":{"resourceType":"User",`+
		`"created":"2030-01-02T03:04:05Z","lastModified":"2030-01-02T03:04:05Z","location":"https://gh.example/api/scim/v2/groups/bench/Users/6a1f0d1e","version":"W/\"1\""},"externalId"`, 1)
	batch := func() []*gatehouse.SCIMRequestLog {
		es := make([]*gatehouse.SCIMRequestLog, logBatch)
		for i := range es {
			es[i] = &gatehouse.SCIMRequestLog{GroupID: g.ID, RequestID: "0123456789abcdef", Method: "POST",
				Path: "/api/scim/v2/groups/bench/Users", Status: 201, Duration: 3 * time.Millisecond, Operation: "create_user",
				RequestBody: req, ResponseBody: resp, ClientIP: "10.0.0.1", UserAgent: "Azure AD Provisioning/1.0"}
		}
		return es
	}
	for range keep / logBatch {
		must(b, "AppendSCIMRequestLogs(fill)", s.AppendSCIMRequestLogs(ctx, batch(), keep))
	}
	for b.Loop() {
		b.StopTimer()
		es := batch()
		b.StartTimer()
		if err := s.AppendSCIMRequestLogs(ctx, es, keep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*logBatch), "ns/entry")
}
