package crash

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
)

// TestChecksSeeDamage damages a database the way the bugs the other tests
// look for would, and checks that the checks see it: an acknowledged
// create that is not there, and a deprovision that removed the membership
// but left the SCIM identity active.
func TestChecksSeeDamage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	b := backends(t)[0] // SQLite: the damage is done with SQL
	f := setup(t, bin, b)
	l := newLoad(f, 2, 1)
	srv := f.start(t, bin)
	l.nodes.set(srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.run(ctx); close(done) }()
	waitAcks(t, f.acks, 30)
	cancel()
	<-done
	if _, problems, err := f.check(srv.URL); err != nil || len(problems) > 0 {
		t.Fatalf("check before the damage = %v %v, want no problem", problems, err)
	}
	srv.Kill()

	db, err := sql.Open("sqlite", "file:"+f.sqlite)
	if err != nil {
		t.Fatal(err)
	}
	var key string
	err = db.QueryRow(`SELECT s.extern_uid FROM scim_identities s JOIN members m ON m.group_id = s.group_id AND m.user_id = s.user_id
WHERE s.state = 'active' ORDER BY s.id LIMIT 1`).Scan(&key)
	if err == nil {
		_, err = db.Exec(`DELETE FROM members WHERE user_id = (SELECT user_id FROM scim_identities WHERE extern_uid = ?)`, key)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ghost := acklog.State{"exists": "true", "active": "true"}
	f.acks.Append(acklog.Record{Kind: acklog.Sent, Op: "create", Key: "ghost", State: ghost})
	f.acks.Append(acklog.Record{Kind: acklog.Ack, Op: "create", Key: "ghost", Status: 201, State: ghost})

	srv = f.start(t, bin)
	v, problems, err := f.check(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	if v.lost != 2 || !strings.Contains(all, "ghost") || !strings.Contains(all, key+" half-deprovisioned") {
		t.Errorf("check after the damage = %d lost, problems:\n%s\nwant the ghost create lost and %s half-deprovisioned", v.lost, all, key)
	}
}
