package faults

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// TestPostgresDiskFull runs the server on a private PostgreSQL cluster whose
// data directory is on a 64 MB tmpfs, with the WAL on another disk (a
// common layout, and the one where a full disk is an error and not a
// PostgreSQL crash), fills that file system, and checks (security.md §5.4):
//
//   - while PostgreSQL can put rows in free space on existing pages,
//     writes succeed; once a table or index must grow, they are refused
//     with a 503 whose SCIM error says the disk is full;
//   - reads go on;
//   - a genuine SAML sign-in either succeeds or fails closed with a 503
//     (when its replay-cache row or log entry cannot be stored);
//   - once space is freed, everything works again without a restart, every
//     acknowledged user is there and every refused one left nothing behind
//     (creating it again gives 201, not 409).
func TestPostgresDiskFull(t *testing.T) {
	t.Parallel()
	dir := mountTmpfs(t, 64)
	uid, gid := postgresUser(t)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	c := startClusterOn(t, dir)
	bin := binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.admin().ExecContext(ctx, "CREATE DATABASE gatehouse"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GATEHOUSE_DB": c.dsn("gatehouse", c.port), "GATEHOUSE_BASE_URL": samltest.Base}
	d := startDiskFullServer(t, bin, env, "pgdiskfull")
	srv, ta, sc, ids, signIn := d.srv, d.tally, d.scim, d.ids, d.signIn
	var acked []string
	for ext := range ids {
		acked = append(acked, ext)
	}

	filler := filepath.Join(dir, "filler")
	filled := fill(t, filler)

	// Creations: each is acknowledged (it fitted in free space) or refused
	// with a 503 that says the disk is full, until ten have been refused.
	// Mostly the first refusal is followed by refusals only, but PostgreSQL
	// may make room in a full index page by dropping the entries refused
	// writes left, so a later creation may fit again: that is fine, as long
	// as what was acknowledged is there afterwards.
	var refusedExt []string
	firstRefusal, fitAfter := 0, 0
	for i := 0; i < 3000 && len(refusedExt) < 10; i++ {
		ext := fmt.Sprintf("full%04d", i)
		o := sc.create(ext)
		switch {
		case o.status == http.StatusCreated:
			acked = append(acked, ext)
			if len(refusedExt) > 0 {
				fitAfter++
			}
		case refusedDiskFull(o):
			if len(refusedExt) == 0 {
				firstRefusal = i + 1
			}
			refusedExt = append(refusedExt, ext)
		default:
			t.Fatalf("POST %s with the disk full = %d %q, want 201 or 503 saying the %s", ext, o.status, o.detail, diskFull)
		}
	}
	if len(refusedExt) < 10 {
		t.Fatalf("3000 creations with the disk full: %d refused, want 10; the fault did not bite", len(refusedExt))
	}

	// Reads: served.
	reads := d.checkReads(t)

	// Sign-ins: each either succeeds or fails closed, until three have
	// failed closed (each success used up some of the free space).
	signInsOK, signInsRefused := 0, 0
	for i := 0; i < 500 && signInsRefused < 3; i++ {
		got := signIn()
		if got.status == http.StatusSeeOther {
			signInsOK++
			continue
		}
		if !checkSignInRefused(t, got) {
			break
		}
		signInsRefused++
	}
	if signInsRefused < 3 {
		t.Errorf("%d sign-ins with the disk full: %d failed closed, want 3", signInsOK+signInsRefused, signInsRefused)
	}

	// Space freed: writes and sign-ins work again, at once, without a
	// restart, and the refused creations left nothing behind.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freedAt := time.Now()
	recovered := waitFor(t, time.Minute, "a SCIM creation once space is freed", func() bool {
		o := sc.create(refusedExt[0])
		return o.status == http.StatusCreated
	})
	for _, ext := range refusedExt[1:] {
		if o := sc.create(ext); o.status != http.StatusCreated {
			t.Errorf("POST %s again once space is freed = %d %s, want 201 (the refused write left nothing behind)", ext, o.status, o.detail)
		}
	}
	patch := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","path":"name.givenName","value":"Changed"}]}`)
	if o := sc.do(http.MethodPatch, "/Users/"+ids["user01"], patch); o.status != http.StatusOK {
		t.Errorf("PATCH once space is freed = %d %s, want 200", o.status, o.detail)
	}
	if got := signIn(); got.status != http.StatusSeeOther {
		t.Errorf("sign-in once space is freed = %d, want 303", got.status)
	}
	sinceFree := time.Since(freedAt)

	want := append(slices.Clone(acked), refusedExt...)
	got := sc.externalIDs(t)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("users once space is freed: %d, want the %d acknowledged and re-created ones, no more, no fewer", len(got), len(want))
	}
	if err := srv.Term(30 * time.Second); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	ta.check(t)
	if log := c.log(); strings.Contains(log, "PANIC") {
		t.Errorf("PostgreSQL panicked (with the WAL on another disk, a full data disk must be an error):\n%s", log)
	}
	t.Logf("filled the tmpfs with %d bytes; creations acknowledged in free space: %d, then %d refused with 503 \"…%s…\" and %d fitted between refusals; %d of %d reads served; sign-ins: %d in free space, %d failed closed",
		filled, firstRefusal-1, len(refusedExt), diskFull, fitAfter, reads, reads, signInsOK, signInsRefused)
	t.Logf("space freed: first write acknowledged after %v; all checks after freeing took %v; %d users",
		recovered.Round(time.Millisecond), sinceFree.Round(time.Millisecond), len(got))
	t.Logf("all SCIM requests: %s", ta)
}
