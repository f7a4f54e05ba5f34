package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
)

// The owner's member pages: the members table, where owners add members
// and change roles, and each person's identity page, which shows their
// SAML and SCIM identities, says whether they can sign in through the
// group's IdP, and corrects their extern_uid. The rules are package
// admin's; every page and POST asks admin.AuthorizeOwner first.

// membersPerPage is how many rows a page of the members table holds.
const membersPerPage = 50

// registerMembers adds the member pages' and the logs' routes.
func (h *Handler) registerMembers(srv *server.Server, opt server.HandleOption) {
	m := "/groups/{group}/-/members"
	srv.HandleFunc("GET "+m, h.members, opt)
	srv.HandleFunc("POST "+m, h.addMember, opt)
	srv.HandleFunc("GET "+m+"/{user_id}", h.identity, opt)
	srv.HandleFunc("POST "+m+"/{user_id}/role", h.changeRole, opt)
	srv.HandleFunc("POST "+m+"/{user_id}/extern_uid", h.setExternUID, opt)
	srv.HandleFunc("GET /groups/{group}/-/saml/log", h.samlLog, opt)
	srv.HandleFunc("GET /groups/{group}/-/saml/log/{ref}", h.samlLogEntry, opt)
	srv.HandleFunc("GET /groups/{group}/-/scim/log", h.scimLog, opt)
}

// ownerGroup answers who may see an owner page: it returns the group of
// the URL and its owner. A signed-out browser is sent to sign in, coming
// back to back (a local path), and ok is false; a member below owner gets
// Forbidden, anyone else NotFound (admin.AuthorizeOwner).
func (h *Handler) ownerGroup(w http.ResponseWriter, r *http.Request, back string) (g *gatehouse.Group, u *gatehouse.User, ok bool, err error) {
	_, u, err = h.session(r)
	if err != nil {
		return nil, nil, false, err
	}
	if u == nil {
		http.Redirect(w, r, "/users/sign_in?return_to="+url.QueryEscape(sso.SafeRelayState(back)), http.StatusSeeOther)
		return nil, nil, false, nil
	}
	g, err = admin.AuthorizeOwner(r.Context(), h.SSO.Store, u, r.PathValue("group"))
	if err != nil {
		return nil, nil, false, err
	}
	return g, u, true, nil
}

// actor is the signed-in owner as audit events record them.
func actor(r *http.Request, u *gatehouse.User) admin.Actor {
	return admin.Actor{Kind: gatehouse.ActorUser, ID: u.ID, RequestID: server.RequestID(r.Context())}
}

// groupBase is the path of the group's pages.
func groupBase(g *gatehouse.Group) string { return "/groups/" + g.Path + "/-/" }

// pageNumber reads the page query parameter: 1 when absent.
func pageNumber(r *http.Request) (int, error) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100000 {
		return 1, gatehouse.Errorf(gatehouse.Invalid, "the page must be a whole number from 1, not %q", clip(s))
	}
	return n, nil
}

// clip shortens a value that came from the client before a message quotes it.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	n := 64
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// pager is the next and previous links of a paged table.
type pager struct {
	Page       int
	Prev, Next string // empty when there is none
}

// newPager links page n of base (a path with its query, without page).
func newPager(base url.Values, path string, n int, more bool) pager {
	p := pager{Page: n}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range base {
			if len(v) > 0 && v[0] != "" {
				q[k] = v
			}
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if more {
		p.Next = link(n + 1)
	}
	return p
}

// fmtTime shows a time in UTC, or "never" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// roleChoice is one option of a role select.
type roleChoice struct {
	Name     string
	Selected bool
}

func roleChoices(selected gatehouse.Role) []roleChoice {
	var out []roleChoice
	for _, r := range []gatehouse.Role{gatehouse.Guest, gatehouse.Reporter, gatehouse.Developer, gatehouse.Maintainer, gatehouse.Owner} {
		out = append(out, roleChoice{Name: r.String(), Selected: r == selected})
	}
	return out
}

// memberRow is one row of the members table.
type memberRow struct {
	UserID         int64
	Username, Name string
	Role           string // empty for a non-member
	Pending        bool   // the membership waits for a link
	Roles          []roleChoice
	SAML, SCIM     string // the identities' states
	ExternUID      string // the SAML identity's
	SCIMExternUID  string
	LastSignIn     string // the last SSO sign-in
	IdentityPath   string
	RolePath       string
	// SAMLAndSCIMDisagree: the two extern_uids differ.
	SAMLAndSCIMDisagree bool
	Self                bool // the signed-in owner
}

func newMemberRow(g *gatehouse.Group, v *admin.MemberView, me *gatehouse.User) memberRow {
	base := groupBase(g) + "members/" + strconv.FormatInt(v.User.ID, 10)
	row := memberRow{UserID: v.User.ID, Username: v.User.Username, Name: v.User.Name,
		SAML: v.SAMLState(), SCIM: v.SCIMState(), LastSignIn: "never",
		IdentityPath: base, RolePath: base + "/role", Self: me != nil && me.ID == v.User.ID}
	if v.Member != nil {
		row.Role = v.Member.Role.String()
		row.Pending = v.Member.State == gatehouse.MemberPendingLink
		row.Roles = roleChoices(v.Member.Role)
	}
	if v.Identity != nil {
		row.ExternUID = v.Identity.ExternUID
		row.LastSignIn = fmtTime(v.Identity.LastSignIn)
	}
	if v.SCIM != nil {
		row.SCIMExternUID = v.SCIM.ExternUID
		row.SAMLAndSCIMDisagree = v.Identity != nil && v.SCIM.ExternUID != v.Identity.ExternUID
	}
	return row
}

// membersData is what the members page shows.
type membersData struct {
	GroupName, GroupPath, Action string
	Rows, Deprovisioned          []memberRow
	Total, DeprovisionedTotal    int
	Pager                        pager
	Notice, Error                string
	AddUsername                  string
	AddRoles                     []roleChoice
}

func (h *Handler) members(w http.ResponseWriter, r *http.Request) error {
	g, u, ok, err := h.ownerGroup(w, r, r.URL.RequestURI())
	if !ok {
		return err
	}
	d := membersData{AddRoles: roleChoices(g.DefaultRole)}
	if id := r.URL.Query().Get("saved"); id != "" {
		// The notice is built from the database, never from the query.
		if uid, err := strconv.ParseInt(id, 10, 64); err == nil {
			if v, err := h.admin().FindMemberView(r.Context(), g, uid); err == nil && v.Member != nil {
				d.Notice = v.User.Username + " is now a " + v.Member.Role.String() + " of " + g.Name + "."
			}
		}
	}
	return h.renderMembers(w, r, g, u, http.StatusOK, d)
}

// renderMembers fills d with the members of the page asked for and shows
// it with status.
func (h *Handler) renderMembers(w http.ResponseWriter, r *http.Request, g *gatehouse.Group, u *gatehouse.User, status int, d membersData) error {
	ctx := r.Context()
	n, err := pageNumber(r)
	if err != nil && d.Error == "" {
		d.Error, status = gatehouse.ErrorMessage(err)+".", http.StatusBadRequest
	}
	adm := h.admin()
	views, total, err := adm.ListMemberViews(ctx, g, store.Page{Offset: (n - 1) * membersPerPage, Limit: membersPerPage})
	if err != nil {
		return err
	}
	gone, goneTotal, err := adm.ListDeprovisioned(ctx, g, store.Page{Limit: membersPerPage})
	if err != nil {
		return err
	}
	d.GroupName, d.GroupPath, d.Total, d.DeprovisionedTotal = g.Name, g.Path, total, goneTotal
	d.Action = groupBase(g) + "members"
	for _, v := range views {
		d.Rows = append(d.Rows, newMemberRow(g, v, u))
	}
	for _, v := range gone {
		d.Deprovisioned = append(d.Deprovisioned, newMemberRow(g, v, u))
	}
	d.Pager = newPager(nil, d.Action, n, n*membersPerPage < total)
	if d.AddRoles == nil {
		d.AddRoles = roleChoices(g.DefaultRole)
	}
	return render(w, status, "members", page{Title: "Members of " + g.Name, SignedIn: u, D: d})
}

// formError is a use case's refusal of what a form sent, shown on the
// form's page with the error's status; ok is false for any other error.
func formError(err error) (status int, msg string, ok bool) {
	switch gatehouse.ErrorKind(err) {
	case gatehouse.Invalid, gatehouse.NotFound, gatehouse.Conflict, gatehouse.Forbidden:
		return server.ErrorStatus(err), gatehouse.ErrorMessage(err) + ".", true
	}
	return 0, "", false
}

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	g, u, ok, err := h.ownerGroup(w, r, groupBase0(r)+"members")
	if !ok {
		return err
	}
	username := r.PostFormValue("username")
	d := membersData{AddUsername: username}
	role, err := gatehouse.ParseRole(r.PostFormValue("role"))
	if err == nil {
		d.AddRoles = roleChoices(role)
		if username == "" {
			err = gatehouse.Errorf(gatehouse.Invalid, "enter the username of the person to add")
		} else if isDigits(username) {
			// Usernames are never all digits, and admin.SetMember would
			// take a number for a user id.
			err = gatehouse.Errorf(gatehouse.Invalid, "enter a username, not a number")
		}
	}
	var m *gatehouse.Member
	if err == nil {
		m, err = h.admin().SetMember(r.Context(), actor(r, u), strconv.FormatInt(g.ID, 10), username, role)
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		d.Error = msg
		return h.renderMembers(w, r, g, u, status, d)
	}
	http.Redirect(w, r, groupBase(g)+"members?saved="+strconv.FormatInt(m.UserID, 10), http.StatusSeeOther)
	return nil
}

// groupBase0 is the path of the URL's group's pages, as the URL names the
// group, for the return path of a signed-out POST.
func groupBase0(r *http.Request) string { return "/groups/" + r.PathValue("group") + "/-/" }

// userID reads the {user_id} of the URL.
func userID(r *http.Request) (int64, error) {
	s := r.PathValue("user_id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || !isDigits(s) {
		return 0, gatehouse.Errorf(gatehouse.NotFound, "there is no user %q: user ids are numbers", clip(s))
	}
	return id, nil
}

func (h *Handler) changeRole(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	g, u, ok, err := h.ownerGroup(w, r, groupBase0(r)+"members")
	if !ok {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	var m *gatehouse.Member
	role, err := gatehouse.ParseRole(r.PostFormValue("role"))
	if err == nil {
		// Only a member's role changes here; adding is the other form.
		if _, err = h.SSO.Store.FindMember(r.Context(), g.ID, id); gatehouse.IsKind(err, gatehouse.NotFound) {
			err = gatehouse.Errorf(gatehouse.NotFound, "user %d is not a member of %s; add them with the form below", id, g.Path)
		}
	}
	if err == nil {
		m, err = h.admin().SetMember(r.Context(), actor(r, u), strconv.FormatInt(g.ID, 10), strconv.FormatInt(id, 10), role)
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		return h.renderMembers(w, r, g, u, status, membersData{Error: msg})
	}
	http.Redirect(w, r, groupBase(g)+"members?saved="+strconv.FormatInt(m.UserID, 10), http.StatusSeeOther)
	return nil
}

// identityData is what a person's identity page shows.
type identityData struct {
	GroupName, GroupPath         string
	MembersPath, Action          string
	Row                          memberRow
	Email                        string
	Verdict                      admin.SignInVerdict
	Identity                     *gatehouse.Identity
	SCIM                         *gatehouse.SCIMIdentity
	IdentityCreated, SCIMUpdated string
	LastResponse                 *gatehouse.SAMLLogEntry
	LastResponseAt               string
	LastResponsePath             string
	CanEdit                      bool
	ExternUID                    string // the form's value
	Notice, Error                string
}

func (h *Handler) identity(w http.ResponseWriter, r *http.Request) error {
	g, u, ok, err := h.ownerGroup(w, r, r.URL.RequestURI())
	if !ok {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	d := identityData{}
	if r.URL.Query().Get("saved") != "" {
		d.Notice = "The extern_uid is saved. The person's next sign-in must carry it as NameID."
	}
	return h.renderIdentity(w, r, g, u, id, http.StatusOK, d)
}

func (h *Handler) renderIdentity(w http.ResponseWriter, r *http.Request, g *gatehouse.Group, u *gatehouse.User, id int64, status int, d identityData) error {
	f, verdict, err := h.admin().ExplainSignIn(r.Context(), g, id)
	if err != nil {
		return err
	}
	d.GroupName, d.GroupPath, d.MembersPath = g.Name, g.Path, groupBase(g)+"members"
	d.Row = newMemberRow(g, &f.MemberView, u)
	d.Action = d.Row.IdentityPath + "/extern_uid"
	d.Email = f.User.PrimaryEmail()
	d.Verdict, d.Identity = verdict, f.Identity
	if f.SCIM != nil {
		d.SCIM = f.SCIM
		d.SCIMUpdated = fmtTime(f.SCIM.UpdatedAt)
	}
	if f.Identity != nil {
		d.IdentityCreated = fmtTime(f.Identity.CreatedAt)
	}
	if e := f.LastResponse; e != nil {
		d.LastResponse, d.LastResponseAt = e, fmtTime(e.At)
		d.LastResponsePath = groupBase(g) + "saml/log/" + e.ReferenceID
	}
	// A deleted SCIM identity keeps its extern_uid for the record only.
	d.CanEdit = f.Identity != nil || (f.SCIM != nil && f.SCIM.State != gatehouse.IdentityDeleted)
	if d.ExternUID == "" && d.Error == "" {
		d.ExternUID = d.Row.ExternUID
		if d.ExternUID == "" && d.SCIM != nil {
			d.ExternUID = d.SCIM.ExternUID
		}
	}
	return render(w, status, "identity", page{Title: f.User.Username + " in " + g.Name, SignedIn: u, D: d})
}

func (h *Handler) setExternUID(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	g, u, ok, err := h.ownerGroup(w, r, groupBase0(r)+"members/"+strconv.FormatInt(id, 10))
	if !ok {
		return err
	}
	uid := r.PostFormValue("extern_uid")
	c := provision.Caller{Group: g, UserID: u.ID, RequestID: server.RequestID(r.Context())}
	err = (&provision.Service{Store: h.SSO.Store, Now: h.SSO.Now}).SetUserExternUID(r.Context(), c, id, uid)
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		if status == http.StatusNotFound {
			// The person is gone, or has nothing to change: the page says which.
			return err
		}
		return h.renderIdentity(w, r, g, u, id, status, identityData{Error: msg, ExternUID: uid})
	}
	http.Redirect(w, r, groupBase(g)+"members/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
	return nil
}
