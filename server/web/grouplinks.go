package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/store"
)

// The "Group links" section of the settings page: the group's links from
// IdP groups to roles, a form that previews the members' role changes of a
// new link before it is saved, and the links-only switch. The rules are
// package admin's (AddGroupLink, PreviewGroupLink, RemoveGroupLink,
// SetLinksOnly).

// maxPreviewRows bounds the preview's table; the rest is counted.
const maxPreviewRows = 100

// linkForm is what the owner typed in the group links form.
type linkForm struct {
	IdPGroup string
	Role     string
}

// previewRow is one member and the role a new link would give them.
type previewRow struct {
	Username string
	From, To string
	Changes  bool
}

// linksData is the section's part of settingsData.
type linksData struct {
	Links     []*gatehouse.GroupLink
	LinkForm  linkForm
	LinkMsg   string
	LinkError string
	// Previewed is set when Preview lists what the typed link would do.
	Previewed   bool
	Preview     []previewRow
	PreviewMore int // changes beyond the rows shown
}

// groupLinks handles the section's forms: action preview, add, remove,
// links_only.
func (h *Handler) groupLinks(w http.ResponseWriter, r *http.Request) error {
	g, u, err := h.settingsOwner(w, r)
	if err != nil {
		return err
	}
	ctx, a, ref := r.Context(), actor(r, u), strconv.FormatInt(g.ID, 10)
	form := linkForm{IdPGroup: strings.TrimSpace(r.PostFormValue("idp_group")), Role: r.PostFormValue("role")}
	var (
		msg       string
		previewed bool
		rows      []previewRow
		more      int
	)
	switch r.PostFormValue("action") {
	case "preview", "add":
		role, perr := gatehouse.ParseRole(form.Role)
		if perr != nil {
			err = perr
			break
		}
		if r.PostFormValue("action") == "preview" {
			changes, perr := h.admin().PreviewGroupLink(ctx, ref, form.IdPGroup, role)
			if err = perr; err != nil {
				break
			}
			previewed = true
			rows, more, err = h.previewRows(ctx, g, changes)
			if err != nil {
				return err
			}
			msg = "Nothing is saved yet. Save the link to apply these changes."
			if len(changes) == 0 {
				msg = "No member's role would change now. Save the link to apply it to members who join the IdP group later."
			}
			break
		}
		l, changes, aerr := h.admin().AddGroupLink(ctx, a, ref, form.IdPGroup, role)
		if err = aerr; err == nil {
			msg = "The IdP group \u201c" + l.IdPGroup + "\u201d is linked to " + l.Role.String() + "; " + strconv.Itoa(len(changes)) + " member roles changed."
			form = linkForm{}
		}
	case "remove":
		id, perr := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
		if perr != nil {
			return gatehouse.Errorf(gatehouse.Invalid, "no group link was named to remove")
		}
		changes, rerr := h.admin().RemoveGroupLink(ctx, a, ref, id)
		if err = rerr; err == nil {
			msg = "The link was removed; " + strconv.Itoa(len(changes)) + " member roles changed."
		}
	case "links_only":
		on := r.PostFormValue("links_only") == "1"
		changes, serr := h.admin().SetLinksOnly(ctx, a, ref, on)
		if err = serr; err == nil {
			msg = "Members with neither a link nor a direct role keep the default role."
			if on {
				msg = "Members with neither a link nor a direct role are removed."
			}
			msg += " " + strconv.Itoa(len(changes)) + " members changed."
		}
	default:
		return gatehouse.Errorf(gatehouse.Invalid, "unknown group link action")
	}
	status := http.StatusOK
	if err != nil {
		if status = server.ErrorStatus(err); status >= http.StatusInternalServerError {
			return err
		}
	}
	// Read the group again: links only may have changed.
	g, gerr := h.SSO.Store.FindGroupByID(ctx, g.ID)
	if gerr != nil {
		return gerr
	}
	d, perr := h.settingsPage(r, g)
	if perr != nil {
		return perr
	}
	d.LinkForm, d.LinkMsg, d.Previewed, d.Preview, d.PreviewMore = form, msg, previewed, rows, more
	if err != nil {
		d.LinkError = server.ErrorMessage(err)
	}
	return renderSettings(w, status, u, d)
}

// previewRows lists each member with the role a new link would give them:
// first those whose role changes, then those whose role stays, at most
// maxPreviewRows in all; more counts the members not shown.
func (h *Handler) previewRows(ctx context.Context, g *gatehouse.Group, changes []admin.RoleChange) (rows []previewRow, more int, err error) {
	changed := make(map[int64]bool, len(changes))
	for _, c := range changes {
		changed[c.UserID] = true
		if len(rows) == maxPreviewRows {
			continue
		}
		name := strconv.FormatInt(c.UserID, 10)
		if pu, err := h.SSO.Store.FindUserByID(ctx, c.UserID); err == nil {
			name = pu.Username
		}
		to := c.Role.String()
		if c.Removed {
			to = "removed (links only)"
		}
		rows = append(rows, previewRow{Username: name, From: c.Previous.String(), To: to, Changes: true})
	}
	ms, total, err := h.admin().ListMembers(ctx, g, store.Page{Limit: maxPreviewRows + len(changes)})
	if err != nil {
		return nil, 0, err
	}
	for _, m := range ms {
		if len(rows) == maxPreviewRows {
			break
		}
		if !changed[m.User.ID] {
			rows = append(rows, previewRow{Username: m.User.Username, From: m.Member.Role.String(), To: m.Member.Role.String()})
		}
	}
	if all := max(total, len(changes)); all > len(rows) {
		more = all - len(rows)
	}
	return rows, more, nil
}
