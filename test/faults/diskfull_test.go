package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, as the server uses

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// mountTmpfs mounts a tmpfs of sizeMB megabytes on a fresh directory; the
// test's cleanup unmounts and removes it (register it before starting
// anything that keeps files open there).
func mountTmpfs(t *testing.T, sizeMB int) string {
	t.Helper()
	require(t, isRoot(), "the disk-full test mounts a small tmpfs, which needs root")
	dir, err := os.MkdirTemp("", "gatehouse-faults-disk-")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm,mode=0700", sizeMB), "tmpfs", dir).CombinedOutput()
	if err != nil {
		os.Remove(dir)
		require(t, false, fmt.Sprintf("mount -t tmpfs failed: %v: %s", err, strings.TrimSpace(string(out))))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
			exec.Command("umount", "-l", dir).Run()
		}
		os.Remove(dir)
	})
	return dir
}

// fill writes path until the file system is full and returns how many
// bytes it took.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	for _, size := range []int{1 << 20, 4 << 10, 512, 1} {
		buf := make([]byte, size)
		for {
			k, err := f.Write(buf)
			n += int64(k)
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return n
}

// sqliteAdmin opens the server's database file beside it, as an operator's
// sqlite3 would.
func sqliteAdmin(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// TestSQLiteDiskFull runs the server on a SQLite database on a 16 MB tmpfs,
// fills the file system, and checks (security.md §5.4): SCIM writes are
// refused with a 503 whose SCIM error says the disk is full; SCIM reads go
// on; a genuine SAML sign-in fails closed with a 503, because its replay
// cache entry cannot be written; and once space is freed, writes and
// sign-ins work again without a restart and the file is sound.
func TestSQLiteDiskFull(t *testing.T) {
	t.Parallel()
	dir := mountTmpfs(t, 16)
	bin := binary(t)
	path := filepath.Join(dir, "gatehouse.db")
	env := map[string]string{"GATEHOUSE_DB": "sqlite:" + path, "GATEHOUSE_BASE_URL": samltest.Base}
	d := startDiskFullServer(t, bin, env, "diskfull")
	srv, ta, sc, ids, signIn := d.srv, d.tally, d.scim, d.ids, d.signIn

	// Checkpoint the WAL into the database and truncate it, so that the
	// next write must grow a file; then fill the file system.
	admin := sqliteAdmin(t, path)
	var busy, logFrames, done int
	if err := admin.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil || busy != 0 {
		t.Fatalf("wal_checkpoint(TRUNCATE) = busy %d, %v", busy, err)
	}
	admin.Close()
	filler := filepath.Join(dir, "filler")
	filled := fill(t, filler)

	// Writes: refused, each with a 503 that says the disk is full.
	var writes, refused int
	check := func(what string, o outcome) {
		t.Helper()
		writes++
		if refusedDiskFull(o) {
			refused++
			return
		}
		t.Errorf("%s with the disk full = %d %q, want 503 saying the %s", what, o.status, o.detail, diskFull)
	}
	for i := range 10 {
		check("POST /Users", sc.create(fmt.Sprintf("full%02d", i)))
	}
	patch := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","path":"name.givenName","value":"Changed"}]}`)
	for i := range 5 {
		check("PATCH /Users/{id}", sc.do(http.MethodPatch, "/Users/"+ids[fmt.Sprintf("user%02d", i+1)], patch))
	}

	// Reads: served.
	reads := d.checkReads(t)

	// Sign-ins: refused, and nobody is signed in.
	var signInsRefused int
	for range 3 {
		if checkSignInRefused(t, signIn()) {
			signInsRefused++
		}
	}

	// Space freed: writes and sign-ins work again, at once, without a
	// restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freedAt := time.Now()
	recovered := waitFor(t, time.Minute, "a SCIM creation once space is freed", func() bool {
		return sc.create(fmt.Sprintf("after-%d", time.Now().UnixNano())).status == http.StatusCreated
	})
	for i := range 10 {
		if o := sc.create(fmt.Sprintf("full%02d", i)); o.status != http.StatusCreated {
			t.Errorf("POST full%02d again once space is freed = %d %s, want 201 (the refused write left nothing behind)", i, o.status, o.detail)
		}
	}
	for i := range 5 {
		if o := sc.do(http.MethodPatch, "/Users/"+ids[fmt.Sprintf("user%02d", i+1)], patch); o.status != http.StatusOK {
			t.Errorf("PATCH once space is freed = %d %s, want 200", o.status, o.detail)
		}
	}
	if got := signIn(); got.status != http.StatusSeeOther {
		t.Errorf("sign-in once space is freed = %d, want 303", got.status)
	}
	sinceFree := time.Since(freedAt)
	users := len(sc.externalIDs(t))

	if err := srv.Term(30 * time.Second); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	admin = sqliteAdmin(t, path)
	defer admin.Close()
	var integrity string
	if err := admin.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, %v; want ok", integrity, err)
	}
	ta.check(t)
	t.Logf("filled the 16 MB tmpfs with %d bytes; %d of %d writes refused with 503 \"…%s…\"; %d of %d reads served; %d of 3 sign-ins refused with 503",
		filled, refused, writes, diskFull, reads, reads, signInsRefused)
	t.Logf("space freed: first write acknowledged after %v; all checks after freeing took %v; %d users; integrity_check %s",
		recovered.Round(time.Millisecond), sinceFree.Round(time.Millisecond), users, integrity)
	t.Logf("all SCIM requests: %s", ta)
}

// diskFullServer is a server on a database whose disk the test will fill:
// SAML configured, 21 people provisioned, alice signed in once.
type diskFullServer struct {
	srv    *proctest.Server
	tally  *tally
	scim   *scimClient
	ids    map[string]string // externalId → SCIM id, of the 21
	signIn func() signInResult
}

// startDiskFullServer sets up the group acme on the database of env, with
// a test IdP called idpName, and starts the server with a 5 s request
// deadline.
func startDiskFullServer(t *testing.T, bin string, env map[string]string, idpName string) *diskFullServer {
	t.Helper()
	token := setupGroup(t, bin, env)
	idp := configureSAML(t, bin, env, idpName)
	const deadline = 5 * time.Second
	srv := proctest.Start(t, bin, proctest.Options{Env: env, Args: []string{"--request-timeout", deadline.String()}})
	d := &diskFullServer{srv: srv, tally: newTally(deadline), ids: map[string]string{}, signIn: signer(t, srv.URL, idp)}
	d.scim = newSCIMClient(t, srv.URL, token, d.tally)
	for i := range 21 {
		ext := fmt.Sprintf("user%02d", i)
		if i == 0 {
			ext = "00u1alice" // the NameID samltest's IdP sends
		}
		o := d.scim.create(ext)
		if o.status != http.StatusCreated {
			t.Fatalf("POST %s before the disk is full = %d %s", ext, o.status, o.detail)
		}
		d.ids[ext] = o.id
	}
	if got := d.signIn(); got.status != http.StatusSeeOther {
		t.Fatalf("sign-in before the disk is full = %d, want 303", got.status)
	}
	return d
}

// checkReads sends 15 SCIM reads (lists, userName filters, users by id)
// and reports each that is not answered 200; it returns how many it sent.
func (d *diskFullServer) checkReads(t *testing.T) int {
	t.Helper()
	reads := 0
	for i := range 5 {
		for _, o := range []outcome{
			d.scim.list(""),
			d.scim.list(fmt.Sprintf(`userName eq "user%02d@example.com"`, i+1)),
			d.scim.do(http.MethodGet, "/Users/"+d.ids[fmt.Sprintf("user%02d", i+1)], nil),
		} {
			reads++
			if o.status != http.StatusOK {
				t.Errorf("read with the disk full = %d %s, want 200", o.status, o.detail)
			}
		}
	}
	return reads
}

// diskFull is what every 503 of a write refused for want of space says.
const diskFull = "disk is full"

// refusedDiskFull says whether o is a 503 that says the disk is full.
func refusedDiskFull(o outcome) bool {
	return o.status == http.StatusServiceUnavailable && strings.Contains(o.detail, diskFull)
}

// checkSignInRefused reports unless got is a sign-in that failed closed: a
// 503 page that says sign-in is unavailable, with no redirect onwards.
func checkSignInRefused(t *testing.T, got signInResult) bool {
	t.Helper()
	if got.status != http.StatusServiceUnavailable || got.location != "" {
		t.Errorf("sign-in with the disk full = %d (Location %q), want 503 and no redirect: the replay cache cannot be written, so the sign-in must fail closed",
			got.status, got.location)
		return false
	}
	if want := "Sign-in is not available right now"; !strings.Contains(got.body, want) {
		t.Errorf("sign-in with the disk full: the page does not say %q:\n%s", want, got.body)
		return false
	}
	return true
}

// configureSAML configures SAML for the group acme on the database of env
// with a new test IdP called name, and returns the IdP.
func configureSAML(t *testing.T, bin string, env map[string]string, name string) *samltest.IdP {
	t.Helper()
	idp := samltest.NewIdP(name)
	certFile := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(certFile, idp.Keys.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	gh(t, bin, env, "saml", "configure", "--group", "acme", "--sso-url", idp.SSOURL, "--cert-file", certFile, "--idp-entity-id", idp.EntityID)
	return idp
}

// signInResult is what the server answered a posted SAML response.
type signInResult struct {
	status   int
	location string
	body     string
}

// signer returns a function that posts a freshly signed response of idp
// for alice to the group's ACS, as her browser would.
func signer(t *testing.T, base string, idp *samltest.IdP) func() signInResult {
	noRedirect := &http.Client{
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	sp := samltest.SP("acme", 1)
	return func() signInResult {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		response := samltest.Encode(idp.Response(t, idp.Spec(sp, time.Now())))
		form := url.Values{"SAMLResponse": {response}}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/groups/acme/-/saml/callback", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Errorf("sign-in: no answer: %v", err)
			return signInResult{}
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return signInResult{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
	}
}
