// Command gatehouse-load measures a Gatehouse SCIM endpoint under the load of
// an identity provider's initial sync. It either drives a running server
// (--url and --token) or starts one in-process on loopback over the database
// --db names, creating a group and token for the run.
//
//	gatehouse-load --db sqlite:/tmp/load.db --users 10000
//	gatehouse-load --url http://127.0.0.1:8080/api/scim/v2/groups/3 --token gth_scim_… --users 10000
//
// It prints users per second and latency percentiles of the sync, then the
// latency of filter GETs against the populated group and the time of a full
// paged read.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/internal/load"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/store/storeurl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gatehouse-load: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	url, token, db       string
	users, concurrency   int
	filterRequests, page int
	read, sync           bool
	timeout              time.Duration
	prefix               string
	cpuProfile           string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gatehouse-load", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.url, "url", "", "the group's SCIM base URL on a running server (with --token)")
	fs.StringVar(&c.token, "token", "", "the group's SCIM token (with --url)")
	fs.StringVar(&c.db, "db", "", "start a server in-process on loopback over this database (sqlite:PATH or postgres://…)")
	fs.IntVar(&c.users, "users", 10000, "users to provision")
	fs.IntVar(&c.concurrency, "concurrency", 8, "concurrent clients")
	fs.IntVar(&c.filterRequests, "filter-requests", 2000, "filter GETs to time after the sync (0: none)")
	fs.IntVar(&c.page, "count", 100, "page size of the full paged read")
	fs.BoolVar(&c.read, "read", true, "time a full paged read after the sync")
	fs.BoolVar(&c.sync, "sync", true, "run the sync; false measures lookups and reads of users an earlier run with the same --prefix and --users created")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "stop the run after this long")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (server and load generator together, with --db) to this file")
	fs.StringVar(&c.prefix, "prefix", "", "userName prefix (default: random, so runs can repeat on one database)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (c.db == "") == (c.url == "") {
		return fmt.Errorf("give either --db (start a server) or --url and --token (use a running one)")
	}
	if c.url != "" && c.token == "" {
		return fmt.Errorf("--url needs --token")
	}
	if c.users < 0 || c.concurrency < 1 {
		return fmt.Errorf("--users must be ≥ 0 and --concurrency ≥ 1")
	}
	if c.prefix == "" {
		b := make([]byte, 4)
		rand.Read(b)
		c.prefix = "run" + hex.EncodeToString(b)
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	target := load.Target{Base: strings.TrimRight(c.url, "/"), Token: c.token}
	if c.db != "" {
		t, stop, err := selfHost(ctx, c.db)
		if err != nil {
			return err
		}
		defer stop()
		target = t
	}
	fmt.Fprintf(out, "target %s, %d users, concurrency %d\n", target.Base, c.users, c.concurrency)

	var sync load.SyncReport
	if c.sync {
		var err error
		sync, err = load.Sync(ctx, target, load.SyncOptions{Users: c.users, Concurrency: c.concurrency, Prefix: c.prefix})
		fmt.Fprintln(out, sync)
		if err != nil {
			return err
		}
	}
	if c.filterRequests > 0 && c.users > 0 {
		f, err := load.Filter(ctx, target, c.prefix, c.users, c.filterRequests, c.concurrency)
		fmt.Fprintln(out, f)
		if err != nil {
			return err
		}
	}
	if c.read {
		r, err := load.ReadAll(ctx, target, c.page)
		fmt.Fprintln(out, r)
		if err != nil {
			return err
		}
	}
	if sync.Errors > 0 {
		return fmt.Errorf("%d requests failed", sync.Errors)
	}
	return nil
}

// selfHost opens the database, makes a group and a SCIM token for the run,
// and serves SCIM on a loopback port.
func selfHost(ctx context.Context, db string) (load.Target, func(), error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := storeurl.Open(ctx, db, log)
	if err != nil {
		return load.Target{}, nil, err
	}
	b := make([]byte, 4)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	svc := &admin.Service{Store: s, PasswordParams: password.DefaultParams}
	if _, err := svc.CreateUser(ctx, admin.System, admin.NewUser{Username: "load-owner-" + suffix, Email: "load-owner-" + suffix + "@load.example"}); err != nil {
		s.Close()
		return load.Target{}, nil, err
	}
	g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "load." + suffix, Owner: "load-owner-" + suffix})
	if err != nil {
		s.Close()
		return load.Target{}, nil, err
	}
	token, _, err := svc.ResetSCIMTokens(ctx, admin.System, g.Path)
	if err != nil {
		s.Close()
		return load.Target{}, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return load.Target{}, nil, err
	}
	srv, err := server.New(server.Config{Addr: ln.Addr().String(), Logger: log, DB: s})
	if err != nil {
		s.Close()
		return load.Target{}, nil, err
	}
	// The SCIM request log is on, as in gatehouse serve: its writes share
	// the database with the sync.
	requestLog, err := scimlog.New(scimlog.Config{Store: s, Logger: log})
	if err != nil {
		s.Close()
		return load.Target{}, nil, err
	}
	(&scimhttp.Handler{Store: s, Provision: &provision.Service{Store: s}, BaseURL: srv.BaseURL().String(),
		RequestLog: requestLog}).Register(srv)
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	stop := func() {
		cancel()
		<-done
		requestLog.Close(context.Background())
		s.Close()
	}
	base := fmt.Sprintf("%s%s%d", srv.BaseURL(), scimhttp.Prefix, g.ID)
	return load.Target{Base: base, Token: token}, stop, nil
}
