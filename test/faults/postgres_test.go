package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
)

// pgServer is a gatehouse server on a database of a private cluster.
type pgServer struct {
	srv  *proctest.Server
	scim *scimClient
}

// startPGServer creates the database gatehouse on c, sets up the group acme
// through the command line, and starts serve on it through port (the
// cluster's, or a proxy's) with the given request deadline.
func startPGServer(t *testing.T, bin string, c *cluster, port int, deadline time.Duration) *pgServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.admin().ExecContext(ctx, "CREATE DATABASE gatehouse"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GATEHOUSE_DB": c.dsn("gatehouse", port)}
	token := setupGroup(t, bin, env)
	srv := proctest.Start(t, bin, proctest.Options{Env: env, Args: []string{"--request-timeout", deadline.String()}})
	return &pgServer{srv: srv, scim: newSCIMClient(t, srv.URL, token, newTally(deadline))}
}

// ready is the server's /-/ready status (0: no answer within 10 s; the
// probe itself gives up on the database after 2 s).
func (s *pgServer) ready() int {
	status, _ := get(s.srv.URL+"/-/ready", 10*time.Second)
	return status
}

// load is SCIM provisioning traffic: workers that each create users one
// after the other (and look one up now and then), noting which creations
// were acknowledged.
type load struct {
	c    *scimClient
	stop chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	acked  map[string]string // externalId → SCIM id, for every 2xx
	failed []string          // externalIds whose POST got no 2xx
}

// maxPerWorker bounds each worker's requests, whatever happens.
const maxPerWorker = 600

func startLoad(c *scimClient, tag string, workers int) *load {
	l := &load{c: c, stop: make(chan struct{}), acked: map[string]string{}}
	for w := range workers {
		l.wg.Go(func() {
			for seq := range maxPerWorker {
				select {
				case <-l.stop:
					return
				default:
				}
				ext := fmt.Sprintf("%s-%d-%d", tag, w, seq)
				o := c.create(ext)
				l.mu.Lock()
				if o.status >= 200 && o.status < 300 {
					l.acked[ext] = o.id
				} else {
					l.failed = append(l.failed, ext)
				}
				l.mu.Unlock()
				if seq%4 == 0 {
					c.list(fmt.Sprintf(`externalId eq "%s"`, ext))
				}
				if o.status != http.StatusCreated {
					// An IdP backs off after an error; without it the
					// workers would spin on instant 503s.
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	return l
}

// acks is how many creations were acknowledged so far.
func (l *load) acks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcks waits until n creations were acknowledged.
func (l *load) waitAcks(t *testing.T, n int, d time.Duration) {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("%d acknowledged creations", n), func() bool { return l.acks() >= n })
}

// end stops the workers and waits for their requests to finish.
func (l *load) end() {
	close(l.stop)
	l.wg.Wait()
}

// verify checks the group after the fault: every acknowledged creation is
// there, nothing is there twice, and retrying each creation that got no
// 2xx (as an IdP does on its next cycle) creates it (201) or finds it made
// already (409) — a write answered 503 may still have committed.
func (l *load) verify(t *testing.T) (retried201, retried409 int) {
	t.Helper()
	for _, ext := range l.failed {
		switch o := l.c.create(ext); o.status {
		case http.StatusCreated:
			retried201++
		case http.StatusConflict:
			retried409++
		default:
			t.Errorf("retry of POST %s = %d %s, want 201 or 409", ext, o.status, o.detail)
		}
	}
	seen := map[string]int{}
	for _, ext := range l.c.externalIDs(t) {
		seen[ext]++
	}
	for ext, n := range seen {
		if n > 1 {
			t.Errorf("externalId %s is there %d times, want once", ext, n)
		}
	}
	lost := 0
	for ext := range l.acked {
		if seen[ext] == 0 {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged creation of %s (id %s) is lost", ext, l.acked[ext])
			}
		}
	}
	for _, ext := range l.failed {
		if seen[ext] == 0 {
			t.Errorf("%s is missing after its retry", ext)
		}
	}
	if want := len(l.acked) + len(l.failed); len(seen) != want {
		t.Errorf("the group has %d users, want %d (%d acknowledged, %d retried)", len(seen), want, len(l.acked), len(l.failed))
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged creations lost, want 0", lost, len(l.acked))
	}
	return retried201, retried409
}

// pgOutage stops the cluster in mode under SCIM load, checks what the
// server answers while the database is down, starts the cluster again and
// checks that the server recovers by itself and lost nothing.
func pgOutage(t *testing.T, mode string) {
	t.Parallel()
	c := startCluster(t)
	bin := binary(t)
	const deadline = 5 * time.Second
	s := startPGServer(t, bin, c, c.port, deadline)
	ta := s.scim.tally
	if got := s.ready(); got != http.StatusOK {
		t.Fatalf("/-/ready before the fault = %d, want 200", got)
	}

	l := startLoad(s.scim, mode, 8)
	l.waitAcks(t, 25, time.Minute)
	before := ta.String()
	c.stop(mode)
	stoppedAt := time.Now()

	// While the database is down: readiness says so, and requests keep
	// being answered, with 503s.
	waitFor(t, 30*time.Second, "/-/ready answering 503 while PostgreSQL is down", func() bool { return s.ready() == http.StatusServiceUnavailable })
	down503 := ta.count(http.StatusServiceUnavailable)
	waitFor(t, time.Minute, "20 more 503s while PostgreSQL is down", func() bool {
		return ta.count(http.StatusServiceUnavailable) >= down503+20
	})
	ackedDown := l.acks()
	c.start()
	downFor := time.Since(stoppedAt) // until the cluster accepts connections again
	firstAck := waitFor(t, time.Minute, "a creation acknowledged once PostgreSQL is back", func() bool { return l.acks() > ackedDown })
	readyAgain := waitFor(t, time.Minute, "/-/ready answering 200 once PostgreSQL is back", func() bool { return s.ready() == http.StatusOK })
	readyAgain += firstAck
	l.waitAcks(t, l.acks()+25, time.Minute)
	l.end()

	r201, r409 := l.verify(t)
	ta.check(t)
	if ta.count(http.StatusServiceUnavailable) == 0 {
		t.Error("no request was answered 503 during the outage; the fault did not bite")
	}
	t.Logf("before the fault: %s", before)
	t.Logf("PostgreSQL down (stop -m %s to a finished start) for %v; first write acknowledged %v after the start, /-/ready 200 after %v",
		mode, downFor.Round(time.Millisecond), firstAck.Round(time.Millisecond), readyAgain.Round(time.Millisecond))
	t.Logf("%d creations acknowledged, %d not (retried: %d created, %d found made already), 0 lost",
		len(l.acked), len(l.failed), r201, r409)
	t.Logf("all requests: %s", ta)
}

// TestPostgresRestart stops PostgreSQL cleanly (pg_ctl stop -m fast, which
// also ends every session, in-flight queries included) under SCIM load,
// then starts it again (security.md §5.3).
func TestPostgresRestart(t *testing.T) { pgOutage(t, "fast") }

// TestPostgresCrash kills PostgreSQL (pg_ctl stop -m immediate: no
// checkpoint, recovery from the WAL at the next start) under SCIM load:
// every creation answered 2xx before the crash must be there after it
// (security.md §5.2 and §5.3).
func TestPostgresCrash(t *testing.T) { pgOutage(t, "immediate") }

// TestPostgresTerminateBackends ends every session of the server with
// pg_terminate_backend, three times under SCIM load: the server's pool
// replaces the connections by itself (security.md §5.3).
func TestPostgresTerminateBackends(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	bin := binary(t)
	const deadline = 5 * time.Second
	s := startPGServer(t, bin, c, c.port, deadline)
	ta := s.scim.tally
	admin := c.admin()

	l := startLoad(s.scim, "term", 8)
	l.waitAcks(t, 30, time.Minute)
	var killed []int
	var recovered []time.Duration
	for range 3 {
		killed = append(killed, c.terminateServer(admin))
		n := l.acks()
		recovered = append(recovered, waitFor(t, time.Minute, "a creation acknowledged after pg_terminate_backend",
			func() bool { return l.acks() > n }))
		l.waitAcks(t, l.acks()+15, time.Minute)
	}
	l.end()
	if got := s.ready(); got != http.StatusOK {
		t.Errorf("/-/ready after the sessions were replaced = %d, want 200", got)
	}
	for i, k := range killed {
		if k == 0 {
			t.Errorf("round %d terminated no session; the fault did not bite", i+1)
		}
	}
	r201, r409 := l.verify(t)
	ta.check(t)
	t.Logf("sessions terminated per round: %v; next acknowledged write after %v", killed, recovered)
	t.Logf("%d creations acknowledged, %d not (retried: %d created, %d found made already), 0 lost",
		len(l.acked), len(l.failed), r201, r409)
	t.Logf("all requests: %s", ta)
}
