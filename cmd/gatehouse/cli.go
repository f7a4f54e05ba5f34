package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
)

// Exit statuses, as interfaces.md fixes them.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitConflict = 3
	exitNotFound = 4
)

// env reads an environment variable; tests pass a map's lookup.
type env func(string) string

// cli is what every command gets: its arguments and the process's streams.
type cli struct {
	args   []string
	env    env
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError is a mistake in the command line; it exits 2 with usage help.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// command is one leaf of the command tree.
type command struct {
	name    string // "scim token reset"
	summary string
	run     func(ctx context.Context, c *cli) error
}

var commands = []command{
	{"serve", "run the server (migrations run at start)", runServe},
	{"migrate", "apply database migrations and exit", runMigrate},
	{"user create", "create a personal account; prints its id", runUserCreate},
	{"group create", "create a top-level group owned by a user; prints its id", runGroupCreate},
	{"member set", "add a member to a group or change a member's role (--role auto hands it back to the group links)", runMemberSet},
	{"group link add", "map an IdP group to a role in a group; prints the link's id", runGroupLinkAdd},
	{"group link list", "list a group's links from IdP groups to roles", runGroupLinkList},
	{"group link remove", "remove a group link; members' roles follow at once", runGroupLinkRemove},
	{"group links-only", "remove members with neither a link nor a direct role (--off: keep them at the default role)", runGroupLinksOnly},
	{"scim token reset", "replace all of a group's SCIM tokens with one new token; prints it once", runSCIMTokenReset},
	{"scim token create", "add a second SCIM token for a rotation; prints it once", runSCIMTokenCreate},
	{"scim token revoke", "remove one of a group's SCIM tokens", runSCIMTokenRevoke},
	{"scim token list", "list a group's SCIM tokens (never the secrets)", runSCIMTokenList},
	{"saml configure", "set a group's SAML SSO configuration from IdP metadata or an SSO URL and certificate", runSAMLConfigure},
	{"saml show", "print a group's SAML configuration and the values to enter in the IdP", runSAMLShow},
	{"saml log", "list a group's SAML log, or print the entry with a failure page's reference id", runSAMLLog},
	{"token create", "create a personal access token for the admin API; prints it once", runTokenCreate},
	{"token list", "list a user's personal access tokens (never the secrets)", runTokenList},
	{"token revoke", "revoke a personal access token", runTokenRevoke},
}

// run is the whole program: it picks the command from args and runs it.
func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	// The longest command name that prefixes args wins ("scim token reset").
	var best *command
	bestLen := 0
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(words) > len(args) || len(words) <= bestLen {
			continue
		}
		match := true
		for j, w := range words {
			if args[j] != w {
				match = false
				break
			}
		}
		if match {
			best, bestLen = &commands[i], len(words)
		}
	}
	if best == nil {
		return usagef("unknown command %q; run \"gatehouse help\" for the list", strings.Join(prefixWords(args), " "))
	}
	return best.run(ctx, &cli{args: args[bestLen:], env: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

// prefixWords returns the leading non-flag words of args, for messages.
func prefixWords(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		out = append(out, a)
	}
	return out
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: gatehouse COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"gatehouse COMMAND -h\" for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 ok, 1 error, 2 usage, 3 conflict, 4 not found.")
}

// exitCode turns run's error into the exit status, printing the message.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "gatehouse: %s\n", ue.msg)
		return exitUsage
	}
	fmt.Fprintf(stderr, "gatehouse: %s\n", gatehouse.ErrorMessage(err))
	switch gatehouse.ErrorKind(err) {
	case gatehouse.Conflict:
		return exitConflict
	case gatehouse.NotFound:
		return exitNotFound
	case gatehouse.Invalid:
		return exitError
	case gatehouse.Internal, gatehouse.Unavailable:
		// The operator needs the cause (connection refused, disk full): the
		// message above is generic. Causes never carry the database password.
		if cause := errors.Unwrap(err); cause != nil {
			fmt.Fprintf(stderr, "gatehouse: cause: %v\n", cause)
		} else if gatehouse.ErrorKind(err) == gatehouse.Internal {
			fmt.Fprintf(stderr, "gatehouse: cause: %v\n", err)
		}
	}
	return exitError
}

// newFlags returns a flag set for a command; its output goes to stderr and a
// parse error becomes a usage error.
func (c *cli) newFlags(name, argsHelp string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: gatehouse %s %s\n\nFlags:\n", name, argsHelp)
		fs.PrintDefaults()
	}
	return fs
}

// envFlags are the flags that also read GATEHOUSE_<FLAG> from the environment.
var envFlags = map[string]bool{
	"db": true, "addr": true, "base-url": true, "log-format": true, "secret-key-file": true,
	"tls-cert": true, "tls-key": true, "trusted-proxies": true, "metrics-group-labels": true,
	"demo": true, "drain-delay": true, "request-timeout": true, "scim-rate-limit": true,
}

// envName is the variable a flag reads: GATEHOUSE_ and the flag in upper case
// with '-' as '_'.
func envName(flagName string) string {
	return "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse applies environment variables to the env-backed flags, then parses
// args over them (a flag beats the variable, the variable beats the default).
// Positional arguments are refused: every command takes flags only.
func (c *cli) parse(fs *flag.FlagSet) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if !envFlags[f.Name] || envErr != nil {
			return
		}
		if v := c.env(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = usagef("%s=%q: %v", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(c.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q; %s takes flags only (see -h)", fs.Arg(0), fs.Name())
	}
	return nil
}

// require reports the first of the named string flags left empty.
func require(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			return usagef("%s needs --%s", fs.Name(), n)
		}
	}
	return nil
}

// printResult prints a created value: plain mode prints exactly value on one
// line; JSON mode prints obj.
func (c *cli) printResult(asJSON bool, value string, obj any) error {
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		return enc.Encode(obj)
	}
	_, err := fmt.Fprintln(c.stdout, value)
	return err
}

// logger builds the structured logger for the --log-format flag.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usagef("--log-format %q is not text or json", format)
}
