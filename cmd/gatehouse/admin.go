package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/store"
)

func runUserCreate(ctx context.Context, c *cli) error {
	fs := c.newFlags("user create", "--username U --email E [--name N] [--password-stdin] [--json]")
	db := dbFlag(fs)
	username := fs.String("username", "", "username (letters, digits, '_', '.', '-'; unique in any letter case)")
	email := fs.String("email", "", "primary email address (unique among personal accounts in any letter case)")
	name := fs.String("name", "", "display name (default: the username)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	asJSON := fs.Bool("json", false, "print {\"id\":…} instead of the bare id")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "username", "email"); err != nil {
		return err
	}
	var pw string
	if *pwStdin {
		line, err := bufio.NewReader(io.LimitReader(c.stdin, 4096)).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
		if pw == "" {
			return gatehouse.Errorf(gatehouse.Invalid, "--password-stdin: standard input held no password")
		}
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		svc := &admin.Service{Store: s}
		u, err := svc.CreateUser(ctx, admin.System, admin.NewUser{Username: *username, Email: *email, Name: *name, Password: pw})
		if err != nil {
			return err
		}
		return c.printResult(*asJSON, strconv.FormatInt(u.ID, 10), map[string]any{"id": u.ID})
	})
}

func runGroupCreate(ctx context.Context, c *cli) error {
	fs := c.newFlags("group create", "--path P [--name N] --owner U [--json]")
	db := dbFlag(fs)
	path := fs.String("path", "", "group path (letters, digits, '_', '.', '-'; e.g. acme.corp)")
	name := fs.String("name", "", "display name (default: the path)")
	owner := fs.String("owner", "", "username or id of the group's first owner")
	asJSON := fs.Bool("json", false, "print {\"id\":…} instead of the bare id")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "path", "owner"); err != nil {
		return err
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		svc := &admin.Service{Store: s}
		g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: *path, Name: *name, Owner: *owner})
		if err != nil {
			return err
		}
		return c.printResult(*asJSON, strconv.FormatInt(g.ID, 10), map[string]any{"id": g.ID})
	})
}

func runMemberSet(ctx context.Context, c *cli) error {
	fs := c.newFlags("member set", "--group P --user U --role R [--json]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	user := fs.String("user", "", "username or id")
	roleName := fs.String("role", "", "guest, reporter, developer, maintainer or owner; auto hands the role back to the group links")
	asJSON := fs.Bool("json", false, "print the membership as JSON")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group", "user", "role"); err != nil {
		return err
	}
	auto := strings.EqualFold(strings.TrimSpace(*roleName), "auto")
	var role gatehouse.Role
	if !auto {
		var err error
		if role, err = gatehouse.ParseRole(*roleName); err != nil {
			return usagef("%s (or auto)", gatehouse.ErrorMessage(err))
		}
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		svc := &admin.Service{Store: s}
		var m *gatehouse.Member
		var err error
		if auto {
			m, err = svc.ClearDirectRole(ctx, admin.System, *group, *user)
		} else {
			m, err = svc.SetMember(ctx, admin.System, *group, *user, role)
		}
		if err != nil {
			return err
		}
		if m == nil {
			fmt.Fprintf(c.stderr, "%s has no link in %s, which is links only: removed\n", *user, *group)
			return nil
		}
		if *asJSON {
			return c.printResult(true, "", map[string]any{
				"group_id": m.GroupID, "user_id": m.UserID, "role": m.Role.String(), "access_level": int(m.Role),
				"role_source": string(m.RoleSource),
			})
		}
		fmt.Fprintf(c.stderr, "%s is now %s of %s\n", *user, m.Role, *group)
		return nil
	})
}

func runSCIMTokenReset(ctx context.Context, c *cli) error {
	return scimTokenNew(ctx, c, "scim token reset", (*admin.Service).ResetSCIMTokens)
}

func runSCIMTokenCreate(ctx context.Context, c *cli) error {
	return scimTokenNew(ctx, c, "scim token create", (*admin.Service).CreateSCIMToken)
}

func scimTokenNew(ctx context.Context, c *cli, name string,
	op func(*admin.Service, context.Context, admin.Actor, string) (string, *gatehouse.SCIMToken, error)) error {
	fs := c.newFlags(name, "--group P [--json]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	asJSON := fs.Bool("json", false, "print {\"id\":…,\"token\":…} instead of the bare token")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		token, t, err := op(&admin.Service{Store: s}, ctx, admin.System, *group)
		if err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintln(c.stderr, "This token is shown once. Paste it into your identity provider's SCIM settings now.")
		}
		return c.printResult(*asJSON, token, map[string]any{"id": t.ID, "token": token})
	})
}

func runSCIMTokenRevoke(ctx context.Context, c *cli) error {
	fs := c.newFlags("scim token revoke", "--group P --id ID")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	id := fs.Int64("id", 0, "token id (see scim token list)")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	if *id <= 0 {
		return usagef("scim token revoke needs --id (see scim token list)")
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		if err := (&admin.Service{Store: s}).RevokeSCIMToken(ctx, admin.System, *group, *id); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "SCIM token %d revoked\n", *id)
		return nil
	})
}

func runSCIMTokenList(ctx context.Context, c *cli) error {
	fs := c.newFlags("scim token list", "--group P [--json]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		ts, err := (&admin.Service{Store: s}).ListSCIMTokens(ctx, *group)
		if err != nil {
			return err
		}
		rows := make([]map[string]any, 0, len(ts))
		for _, t := range ts {
			rows = append(rows, map[string]any{"id": t.ID, "created_at": t.CreatedAt, "last_used_at": timeOrNil(t.LastUsedAt)})
		}
		return c.printTable(*asJSON, rows, []string{"id", "created_at", "last_used_at"})
	})
}

func runTokenCreate(ctx context.Context, c *cli) error {
	fs := c.newFlags("token create", "--user U [--name N] [--expires YYYY-MM-DD] [--json]")
	db := dbFlag(fs)
	user := fs.String("user", "", "username or id of the token's owner")
	name := fs.String("name", "default", "a name to recognise the token by")
	expires := fs.String("expires", "", "expiry date YYYY-MM-DD (UTC midnight); default never")
	asJSON := fs.Bool("json", false, "print {\"id\":…,\"token\":…} instead of the bare token")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "user"); err != nil {
		return err
	}
	var exp time.Time
	if *expires != "" {
		var err error
		if exp, err = time.Parse(time.DateOnly, *expires); err != nil {
			return usagef("--expires %q is not a date like 2027-01-31", *expires)
		}
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		token, t, err := (&admin.Service{Store: s}).CreatePAT(ctx, admin.System, admin.NewPAT{User: *user, Name: *name, ExpiresAt: exp})
		if err != nil {
			return err
		}
		return c.printResult(*asJSON, token, map[string]any{"id": t.ID, "token": token})
	})
}

func runTokenList(ctx context.Context, c *cli) error {
	fs := c.newFlags("token list", "--user U [--json]")
	db := dbFlag(fs)
	user := fs.String("user", "", "username or id")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "user"); err != nil {
		return err
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		ts, err := (&admin.Service{Store: s}).ListPATs(ctx, *user)
		if err != nil {
			return err
		}
		rows := make([]map[string]any, 0, len(ts))
		for _, t := range ts {
			rows = append(rows, map[string]any{
				"id": t.ID, "name": t.Name, "created_at": t.CreatedAt,
				"expires_at": timeOrNil(t.ExpiresAt), "last_used_at": timeOrNil(t.LastUsedAt),
			})
		}
		return c.printTable(*asJSON, rows, []string{"id", "name", "created_at", "expires_at", "last_used_at"})
	})
}

func runTokenRevoke(ctx context.Context, c *cli) error {
	fs := c.newFlags("token revoke", "--id ID")
	db := dbFlag(fs)
	id := fs.Int64("id", 0, "token id (see token list)")
	if err := c.parse(fs); err != nil {
		return err
	}
	if *id <= 0 {
		return usagef("token revoke needs --id (see token list)")
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		if err := (&admin.Service{Store: s}).RevokePAT(ctx, admin.System, *id); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "personal access token %d revoked\n", *id)
		return nil
	})
}

// timeOrNil renders a zero time as JSON null and "-" in tables.
func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// printTable prints rows as a JSON array or an aligned table with a header.
func (c *cli) printTable(asJSON bool, rows []map[string]any, cols []string) error {
	if asJSON {
		return c.printResult(true, "", rows)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, col := range cols {
			switch v := r[col].(type) {
			case nil:
				cells[i] = "-"
			case time.Time:
				cells[i] = v.UTC().Format(time.RFC3339)
			default:
				cells[i] = fmt.Sprint(v)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
