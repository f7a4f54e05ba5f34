package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/store"
)

func runGroupLinkAdd(ctx context.Context, c *cli) error {
	fs := c.newFlags("group link add", "--group P --idp-group NAME --role R [--json]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	idpGroup := fs.String("idp-group", "", "the IdP group: a SCIM group's displayName or externalId, a SAML groups value, or an Entra group object id")
	roleName := fs.String("role", "", "guest, reporter, developer, maintainer or owner")
	asJSON := fs.Bool("json", false, "print {\"id\":…,\"changed\":…} instead of the bare id")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group", "idp-group", "role"); err != nil {
		return err
	}
	role, err := gatehouse.ParseRole(*roleName)
	if err != nil {
		return usagef("%s", gatehouse.ErrorMessage(err))
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		l, changes, err := (&admin.Service{Store: s}).AddGroupLink(ctx, admin.System, *group, *idpGroup, role)
		if err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintf(c.stderr, "%q is linked to %s; %d member roles changed\n", l.IdPGroup, l.Role, len(changes))
		}
		return c.printResult(*asJSON, strconv.FormatInt(l.ID, 10), map[string]any{"id": l.ID, "changed": len(changes)})
	})
}

func runGroupLinkList(ctx context.Context, c *cli) error {
	fs := c.newFlags("group link list", "--group P [--json]")
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
		ls, err := (&admin.Service{Store: s}).ListGroupLinks(ctx, *group)
		if err != nil {
			return err
		}
		rows := make([]map[string]any, 0, len(ls))
		for _, l := range ls {
			rows = append(rows, map[string]any{"id": l.ID, "idp_group": l.IdPGroup, "role": l.Role.String(),
				"access_level": int(l.Role), "created_at": l.CreatedAt})
		}
		return c.printTable(*asJSON, rows, []string{"id", "idp_group", "role", "created_at"})
	})
}

func runGroupLinkRemove(ctx context.Context, c *cli) error {
	fs := c.newFlags("group link remove", "--group P --id ID")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	id := fs.Int64("id", 0, "link id (see group link list)")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	if *id <= 0 {
		return usagef("group link remove needs --id (see group link list)")
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		changes, err := (&admin.Service{Store: s}).RemoveGroupLink(ctx, admin.System, *group, *id)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "group link %d removed; %d member roles changed\n", *id, len(changes))
		return nil
	})
}

func runGroupLinksOnly(ctx context.Context, c *cli) error {
	fs := c.newFlags("group links-only", "--group P [--off]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	off := fs.Bool("off", false, "turn links only off again: unlinked members stay at the default role")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		changes, err := (&admin.Service{Store: s}).SetLinksOnly(ctx, admin.System, *group, !*off)
		if err != nil {
			return err
		}
		state := "on"
		if *off {
			state = "off"
		}
		fmt.Fprintf(c.stderr, "links only is %s for %s; %d members changed\n", state, *group, len(changes))
		return nil
	})
}
