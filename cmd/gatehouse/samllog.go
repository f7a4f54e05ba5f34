package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/store"
)

func runSAMLLog(ctx context.Context, c *cli) error {
	fs := c.newFlags("saml log", "--group P [--ref ID | [--outcome O] [--limit N]] [--json]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	ref := fs.String("ref", "", "print in full the entry with this reference id (the one the failure page shows)")
	outcome := fs.String("outcome", "", "list only the entries with this outcome: invalid, unknown_name_id, signed_in, …")
	limit := fs.Int("limit", admin.DefaultSAMLLogLimit, fmt.Sprintf("list at most this many entries, newest first (1 to %d)", admin.MaxSAMLLogLimit))
	asJSON := fs.Bool("json", false, "print one JSON object with --ref, a JSON array otherwise")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["ref"] {
		if given["outcome"] || given["limit"] {
			return usagef("--ref prints one entry; leave out --outcome and --limit")
		}
		if !gatehouse.ValidSAMLLogReference(*ref) {
			return usagef("--ref %q is not a reference id: the failure page shows one of 1 to %d letters, digits, - and _", *ref, gatehouse.SAMLLogTokenLimit)
		}
		return c.withStore(ctx, *db, func(s store.Store) error {
			_, e, err := (&admin.Service{Store: s}).FindSAMLLogEntry(ctx, *group, *ref)
			if err != nil {
				return err
			}
			return c.printSAMLLogEntry(*asJSON, e)
		})
	}
	if *limit < 1 || *limit > admin.MaxSAMLLogLimit {
		return usagef("--limit %d must be 1 to %d (the log keeps a group's newest %d entries)", *limit, admin.MaxSAMLLogLimit, admin.SAMLLogKeep)
	}
	if given["outcome"] && !validOutcome(*outcome) {
		return usagef("--outcome %q is not an outcome: lowercase letters, digits and _, such as invalid or signed_in", *outcome)
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		g, entries, err := (&admin.Service{Store: s}).SAMLLog(ctx, *group, admin.SAMLLogFilter{Outcome: *outcome, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]samlLogJSON, 0, len(entries))
			for _, e := range entries {
				j, err := newSAMLLogJSON(e)
				if err != nil {
					return err
				}
				out = append(out, j)
			}
			return c.printResult(true, "", out)
		}
		if len(entries) == 0 {
			if *outcome != "" {
				fmt.Fprintf(c.stderr, "no entries with the outcome %s in group %s's SAML log\n", *outcome, g.Path)
			} else {
				fmt.Fprintf(c.stderr, "group %s's SAML log is empty: no SAML response has reached its ACS\n", g.Path)
			}
		}
		rows := make([]map[string]any, 0, len(entries))
		for _, e := range entries {
			checks, err := admin.SAMLLogChecks(e)
			if err != nil {
				return err
			}
			r := map[string]any{"at": e.At, "outcome": printable(e.Outcome, ""), "reference_id": e.ReferenceID,
				"name_id": orNil(printable(e.NameID, "")), "failed_check": nil, "message": nil}
			if f, ok := (&saml.Verdict{Checks: checks}).Failed(); ok {
				r["failed_check"], r["message"] = printable(f.Name, ""), orNil(printable(f.Detail, ""))
			}
			rows = append(rows, r)
		}
		return c.printTable(false, rows, []string{"at", "outcome", "reference_id", "name_id", "failed_check", "message"})
	})
}

// printSAMLLogEntry prints one entry in full: its fields, each check and
// the response.
func (c *cli) printSAMLLogEntry(asJSON bool, e *gatehouse.SAMLLogEntry) error {
	j, err := newSAMLLogJSON(e)
	if err != nil {
		return err
	}
	if asJSON {
		return c.printResult(true, "", j)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\n", k, printable(v, ""))
	}
	row("at", e.At.UTC().Format(time.RFC3339))
	row("outcome", e.Outcome)
	row("reference_id", e.ReferenceID)
	row("name_id", e.NameID)
	row("request_id", e.RequestID)
	row("client_ip", e.ClientIP)
	row("user_agent", e.UserAgent)
	if len(j.Checks) == 0 {
		row("checks", "none: the response was refused before it was read")
	}
	for _, ch := range j.Checks {
		state := "pass"
		if !ch.OK {
			state = "FAIL"
		}
		fmt.Fprintf(tw, "check\t%s\t%s\t%s\n", state, printable(ch.Name, ""), printable(ch.Detail, ""))
	}
	if e.Response == "" {
		row("response", "")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if e.Response != "" {
		_, err = fmt.Fprintf(c.stdout, "\n%s\n", printable(e.Response, "\n\t"))
	}
	return err
}

// samlLogJSON is a SAML log entry as saml log --json prints it.
type samlLogJSON struct {
	At          time.Time       `json:"at"`
	Outcome     string          `json:"outcome"`
	ReferenceID string          `json:"reference_id"`
	NameID      string          `json:"name_id"`
	RequestID   string          `json:"request_id"`
	ClientIP    string          `json:"client_ip"`
	UserAgent   string          `json:"user_agent"`
	Checks      []samlCheckJSON `json:"checks"`
	Response    string          `json:"response"`
}

// samlCheckJSON is one check of a response, in order; a failed one is last.
type samlCheckJSON struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func newSAMLLogJSON(e *gatehouse.SAMLLogEntry) (samlLogJSON, error) {
	checks, err := admin.SAMLLogChecks(e)
	if err != nil {
		return samlLogJSON{}, err
	}
	j := samlLogJSON{
		At: e.At.UTC(), Outcome: e.Outcome, ReferenceID: e.ReferenceID, NameID: e.NameID, RequestID: e.RequestID,
		ClientIP: e.ClientIP, UserAgent: e.UserAgent, Checks: make([]samlCheckJSON, 0, len(checks)), Response: e.Response,
	}
	for _, ch := range checks {
		j.Checks = append(j.Checks, samlCheckJSON{Name: ch.Name, OK: ch.OK, Detail: ch.Detail})
	}
	return j, nil
}

// validOutcome reports whether s has the form of a SAML log outcome:
// lowercase letters, digits and _, starting with a letter.
func validOutcome(s string) bool {
	if s == "" || len(s) > gatehouse.SAMLLogTokenLimit || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// printable escapes the characters of s that a terminal acts on or
// reorders text by (control, bidirectional formatting and line separator
// characters), except those in keep. Whoever posts a response to a group's
// ACS chooses what its log entry holds, so printing it raw could move the
// operator's cursor, rewrite earlier lines or hide text.
func printable(s, keep string) string {
	unsafe := func(r rune) bool {
		return (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.In(r, unicode.Zl, unicode.Zp)) &&
			!strings.ContainsRune(keep, r)
	}
	if !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafe(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// orNil is s, or nil (printed "-") when s is empty.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
