// Command gatehouse-load puts a Gatehouse group under the load of an
// identity provider and measures it: Entra- or Okta-shaped SCIM workloads
// (initial sync, update, deprovision and reactivation waves, filter GETs, a
// paged read) and SAML sign-ins signed by a built-in IdP. It either drives
// running servers (--url, several times for several nodes, with --token)
// or starts --nodes servers in-process on loopback over the database --db
// names, creating a group, token and SAML configuration for the run.
//
//	gatehouse-load --db sqlite:/tmp/load.db --users 10000
//	gatehouse-load --db sqlite:/tmp/load.db --idp okta --users 1000 --workload sync,update,deprovision,read
//	gatehouse-load --url http://127.0.0.1:8080/api/scim/v2/groups/acme --token gth_scim_… --users 10000
//	gatehouse-load --url … --token … --ack-log acks.jsonl --workload sync,update
//	gatehouse-load --url … --token … --verify acks.jsonl
//
// It shows progress on stderr while it runs and prints a summary of each
// workload (throughput, p50/p95/p99/max latency, requests by status) on
// stdout, or one JSON object with --json. The exit status is 1 when a
// workload had errors, a 5xx, an accepted SAML replay, or a verify found a
// lost write; 2 for a usage error.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
	"github.com/gatehouse-sso/gatehouse/internal/load"
	"github.com/gatehouse-sso/gatehouse/internal/load/inproc"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "gatehouse-load: %v\n", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "gatehouse-load: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// workloads are the names --workload takes, in no particular order: a run
// does them in the order given.
var workloads = []string{"sync", "update", "deprovision", "reactivate", "filter", "read", "signin"}

type config struct {
	urls                 []string
	token, db            string
	nodes                int
	idp, oktaApp         string
	workloads            []string
	users, concurrency   int
	wave                 int
	filterRequests, page int
	signIns, replays     int
	samlFlow             string
	idpKey, idpCert      string
	idpEntityID          string
	samlKeygen           string
	ackLog, verify       string
	json                 bool
	timeout              time.Duration
	prefix               string
	cpuProfile           string
	progressEvery        time.Duration
}

// parse reads and checks the command line, all at once.
func parse(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("gatehouse-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var workload string
	var syncFlag, readFlag bool
	fs.Func("url", "the group's SCIM base URL on a running server, e.g. http://127.0.0.1:8080/api/scim/v2/groups/acme; several (repeated or comma-separated) spread requests over several nodes", func(s string) error {
		for _, u := range strings.Split(s, ",") {
			if u = strings.TrimSpace(u); u != "" {
				c.urls = append(c.urls, u)
			}
		}
		return nil
	})
	fs.StringVar(&c.token, "token", "", "the group's SCIM token (with --url)")
	fs.StringVar(&c.db, "db", "", "start servers in-process on loopback over this database (sqlite:PATH or postgres://…), with a new group, token and SAML configuration")
	fs.IntVar(&c.nodes, "nodes", 1, "with --db: in-process servers on the database, requests spread over them")
	fs.StringVar(&c.idp, "idp", load.Entra, "whose SCIM dialect to speak: entra or okta")
	fs.StringVar(&c.oktaApp, "okta-app", load.OktaOIN, "with --idp okta: oin (deactivate with PATCH) or aiw (every change a PUT)")
	fs.StringVar(&workload, "workload", "", "comma-separated workloads, run in order: "+strings.Join(workloads, ", ")+" (default sync,filter,read)")
	fs.IntVar(&c.users, "users", 10000, "users of the run: the sync creates them, the waves and sign-ins use them")
	fs.IntVar(&c.concurrency, "concurrency", 8, "concurrent clients")
	fs.IntVar(&c.wave, "wave", 0, "users an update, deprovision or reactivate wave touches, the first of the population (0: all)")
	fs.IntVar(&c.filterRequests, "filter-requests", 2000, "filter GETs of the filter workload")
	fs.IntVar(&c.page, "count", 100, "page size of the paged read")
	fs.IntVar(&c.signIns, "signins", 0, "sign-ins of the signin workload, over the active users in turn (0: each active user once)")
	fs.IntVar(&c.replays, "replays", 3, "accepted SAML responses posted again after the sign-ins; each must be refused")
	fs.StringVar(&c.samlFlow, "saml-flow", "sp", "sp: start each sign-in at Gatehouse and answer its AuthnRequest; idp: post unsolicited responses")
	fs.StringVar(&c.idpKey, "idp-key", "", "the built-in IdP's key (PEM), from --saml-keygen; needed for signin with --url, optional with --db")
	fs.StringVar(&c.idpCert, "idp-cert", "", "the built-in IdP's certificate (PEM), with --idp-key")
	fs.StringVar(&c.idpEntityID, "idp-entity-id", load.DefaultIdPEntityID, "the built-in IdP's entity ID (issuer)")
	fs.StringVar(&c.samlKeygen, "saml-keygen", "", "write a new IdP key and certificate into this directory, print the gatehouse saml configure command for them, and exit")
	fs.StringVar(&c.ackLog, "ack-log", "", "append every write to this file: sent before, acknowledged or refused after (see internal/acklog)")
	fs.StringVar(&c.verify, "verify", "", "check this ack log against the server (--url, --token) instead of running workloads; exit 1 if an acknowledged write is lost")
	fs.BoolVar(&c.json, "json", false, "print the summary as one JSON object")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "stop the run after this long")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (servers and load generator together, with --db) to this file")
	fs.StringVar(&c.prefix, "prefix", "", "names the run's users (default: random, so runs can repeat on one database); give an earlier run's to act on its users")
	fs.BoolVar(&syncFlag, "sync", true, "without --workload: run the sync (false: only filter and read the users an earlier run with the same --prefix created)")
	fs.BoolVar(&readFlag, "read", true, "without --workload: time a full paged read")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if c.samlKeygen != "" {
		return &c, nil
	}
	switch {
	case (c.db == "") == (len(c.urls) == 0):
		return nil, usagef("give either --db (start servers) or --url and --token (use running ones)")
	case len(c.urls) > 0 && c.token == "":
		return nil, usagef("--url needs --token")
	case c.nodes < 1 || c.nodes > 16:
		return nil, usagef("--nodes must be 1 to 16")
	case c.nodes > 1 && c.db == "":
		return nil, usagef("--nodes is for --db; with running servers give --url once per node")
	case c.idp != load.Entra && c.idp != load.Okta:
		return nil, usagef("--idp %q: want entra or okta", c.idp)
	case c.oktaApp != load.OktaOIN && c.oktaApp != load.OktaAIW:
		return nil, usagef("--okta-app %q: want oin or aiw", c.oktaApp)
	case c.samlFlow != "sp" && c.samlFlow != "idp":
		return nil, usagef("--saml-flow %q: want sp or idp", c.samlFlow)
	case c.users < 0 || c.concurrency < 1 || c.page < 1 || c.wave < 0 || c.signIns < 0 || c.replays < 0 || c.filterRequests < 0:
		return nil, usagef("--users, --wave, --signins, --replays and --filter-requests must be ≥ 0, --concurrency and --count ≥ 1")
	case (c.idpKey == "") != (c.idpCert == ""):
		return nil, usagef("--idp-key and --idp-cert go together")
	}
	for _, u := range c.urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, usagef("--url %q: want the group's SCIM base URL, http(s)://HOST/api/scim/v2/groups/GROUP", u)
		}
	}
	if c.verify != "" {
		if c.db != "" {
			return nil, usagef("--verify checks a running server: give --url and --token of the group the log was written against")
		}
		if workload != "" || c.ackLog != "" {
			return nil, usagef("--verify runs no workloads: leave out --workload and --ack-log")
		}
		return &c, nil
	}

	if workload != "" {
		if set["sync"] || set["read"] {
			return nil, usagef("--sync and --read are the older spelling of --workload: give one or the other")
		}
		for _, w := range strings.Split(workload, ",") {
			w = strings.TrimSpace(w)
			if !slices.Contains(workloads, w) {
				return nil, usagef("--workload: unknown workload %q (want %s)", w, strings.Join(workloads, ", "))
			}
			c.workloads = append(c.workloads, w)
		}
	} else {
		if syncFlag {
			c.workloads = append(c.workloads, "sync")
		}
		if c.filterRequests > 0 && c.users > 0 {
			c.workloads = append(c.workloads, "filter")
		}
		if readFlag {
			c.workloads = append(c.workloads, "read")
		}
	}
	if c.prefix == "" && !slices.Contains(c.workloads, "sync") && slices.ContainsFunc(c.workloads, func(w string) bool { return w != "read" }) {
		return nil, usagef("without a sync the run acts on an earlier run's users: give its --prefix")
	}
	if slices.Contains(c.workloads, "signin") && len(c.urls) > 0 {
		if c.idpKey == "" {
			return nil, usagef("signin against --url needs --idp-key and --idp-cert, the IdP the group trusts (make them with --saml-keygen DIR)")
		}
		for _, u := range c.urls {
			if !strings.Contains(u, scimhttp.Prefix) {
				return nil, usagef("signin: --url %q is not a group's SCIM base URL (…%sGROUP)", u, scimhttp.Prefix)
			}
		}
	}
	if c.prefix == "" {
		b := make([]byte, 4)
		rand.Read(b)
		c.prefix = "run" + hex.EncodeToString(b)
	}
	return &c, nil
}

// report is the --json output.
type report struct {
	Target    []string        `json:"target"`
	Group     string          `json:"group,omitempty"`
	IdP       string          `json:"idp,omitempty"`
	Prefix    string          `json:"prefix,omitempty"`
	Users     int             `json:"users,omitempty"`
	Workloads []*load.Summary `json:"workloads,omitempty"`
	AckLog    *ackSummary     `json:"ack_log,omitempty"`
	Verify    *verifySummary  `json:"verify,omitempty"`
	Failed    bool            `json:"failed"`
}

type ackSummary struct {
	Path  string `json:"path"`
	Sent  int    `json:"sent"`
	Acked int    `json:"acked"`
	Fail  int    `json:"failed"`
}

type verifySummary struct {
	Log      string   `json:"log"`
	Checked  int      `json:"checked"`
	Lost     int      `json:"lost"`
	Problems []string `json:"problems,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if c.samlKeygen != "" {
		return keygen(c, stdout)
	}
	progress := load.Progress{Out: stderr, Every: 5 * time.Second}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			progress.Every = time.Second
		}
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

	if c.verify != "" {
		return verify(ctx, c, stdout, progress)
	}

	var idp *load.IdP
	if slices.Contains(c.workloads, "signin") {
		if idp, err = loadIdP(c); err != nil {
			return err
		}
	}
	var (
		target *load.Target
		saml   *load.SAMLTarget
	)
	if c.db != "" {
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		cl, err := inproc.Start(ctx, inproc.Config{DB: c.db, Nodes: c.nodes, IdP: idp, Logger: log})
		if err != nil {
			return err
		}
		defer cl.Close()
		target = load.NewTarget(cl.Token, c.concurrency, cl.SCIM...)
		saml = &load.SAMLTarget{Nodes: cl.Nodes, Group: cl.Group, IdP: idp}
	} else {
		target = load.NewTarget(c.token, c.concurrency, c.urls...)
		saml = &load.SAMLTarget{IdP: idp}
		for _, u := range c.urls {
			base, group, _ := strings.Cut(u, scimhttp.Prefix)
			saml.Nodes = append(saml.Nodes, base)
			saml.Group = strings.Trim(group, "/")
		}
	}
	saml.IdPInitiated = c.samlFlow == "idp"
	target.UserAgent = "gatehouse-load (Entra ID shapes)"
	if c.idp == load.Okta {
		target.UserAgent = "Okta SCIM Client 1.0.0" // what Okta sends
	}

	r := &load.Runner{Target: target, Pop: load.NewPopulation(c.prefix, c.users), IdP: c.idp, OktaApp: c.oktaApp,
		Concurrency: c.concurrency, Progress: progress}
	rep := &report{Target: target.Bases, Group: saml.Group, IdP: c.idp, Prefix: c.prefix, Users: c.users}
	if c.ackLog != "" {
		w, err := acklog.Create(c.ackLog)
		if err != nil {
			return err
		}
		defer w.Close()
		r.AckLog = w
	}
	if !c.json {
		fmt.Fprintf(stdout, "target %s (%s), %d users, prefix %s, concurrency %d\n",
			strings.Join(target.Bases, " "), c.idp, c.users, c.prefix, c.concurrency)
		if c.db != "" {
			fmt.Fprintf(stdout, "group %s (new; gatehouse scim token reset --group %s gives a token to reach it later)\n", saml.Group, saml.Group)
		}
	}
	for _, w := range c.workloads {
		if ctx.Err() != nil {
			break
		}
		var got []*load.Summary
		switch w {
		case "sync":
			got = append(got, r.Sync(ctx))
		case "update":
			got = append(got, r.Update(ctx, c.wave))
		case "deprovision":
			got = append(got, r.Deprovision(ctx, c.wave))
		case "reactivate":
			got = append(got, r.Reactivate(ctx, c.wave))
		case "filter":
			got = r.Filter(ctx, c.filterRequests)
		case "read":
			got = append(got, r.Read(ctx, c.page, c.users))
		case "signin":
			got = append(got, r.SignIn(ctx, saml, c.signIns, c.replays))
		}
		for _, s := range got {
			rep.Workloads = append(rep.Workloads, s)
			rep.Failed = rep.Failed || s.Failed()
			if !c.json {
				fmt.Fprintln(stdout, s)
			}
		}
	}
	if r.AckLog != nil && !c.json {
		fmt.Fprintf(stdout, "ack log %s: %d sent, %d acknowledged, %d refused\n", c.ackLog,
			r.AckLog.Count(acklog.Sent), r.AckLog.Count(acklog.Ack), r.AckLog.Count(acklog.Fail))
	}
	if r.AckLog != nil {
		rep.AckLog = &ackSummary{Path: c.ackLog, Sent: r.AckLog.Count(acklog.Sent), Acked: r.AckLog.Count(acklog.Ack), Fail: r.AckLog.Count(acklog.Fail)}
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stopped early: %w", err)
	}
	if rep.Failed {
		return errors.New("the run had errors (see the summary)")
	}
	return nil
}

// verify checks an ack log against the server.
func verify(ctx context.Context, c *config, stdout io.Writer, progress load.Progress) error {
	recs, err := acklog.Read(c.verify)
	if err != nil {
		return err
	}
	t := load.NewTarget(c.token, c.concurrency, c.urls...)
	res, err := load.Verify(ctx, t, recs, c.concurrency, progress)
	if err != nil {
		return err
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report{Target: t.Bases, Verify: &verifySummary{Log: c.verify, Checked: res.Checked, Lost: res.Lost, Problems: res.Problems},
			Failed: res.Lost > 0}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "verify %s: %s\n", c.verify, res)
	}
	if res.Lost > 0 {
		return fmt.Errorf("%d acknowledged writes lost or wrong", res.Lost)
	}
	return nil
}

// loadIdP returns the IdP of --idp-key and --idp-cert, or a new one.
func loadIdP(c *config) (*load.IdP, error) {
	if c.idpKey == "" {
		return load.NewIdP(c.idpEntityID, load.DefaultIdPSSOURL)
	}
	k, err := os.ReadFile(c.idpKey)
	if err != nil {
		return nil, err
	}
	crt, err := os.ReadFile(c.idpCert)
	if err != nil {
		return nil, err
	}
	return load.LoadIdP(c.idpEntityID, load.DefaultIdPSSOURL, k, crt)
}

// keygen writes a new IdP key pair into c.samlKeygen and prints how to make
// a group trust it.
func keygen(c *config, stdout io.Writer) error {
	idp, err := load.NewIdP(c.idpEntityID, load.DefaultIdPSSOURL)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.samlKeygen, 0o700); err != nil {
		return err
	}
	key, cert := filepath.Join(c.samlKeygen, "idp-key.pem"), filepath.Join(c.samlKeygen, "idp-cert.pem")
	if err := os.WriteFile(key, idp.KeyPEM(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(cert, idp.CertPEM(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s; make the group trust them with:\n\n"+
		"  gatehouse saml configure --group GROUP --sso-url %s --cert-file %s --idp-entity-id %s\n\n"+
		"then sign in with:\n\n  gatehouse-load --url …/api/scim/v2/groups/GROUP --token … --prefix PREFIX --workload signin --idp-key %s --idp-cert %s\n",
		key, cert, load.DefaultIdPSSOURL, cert, c.idpEntityID, key, cert)
	return nil
}
