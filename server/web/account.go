package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/sso"
)

// signedIn returns the session and user of a page that needs one. When the
// request has none it answers 303 to the sign-in page, coming back here
// after a GET, and when the session must choose a new password first, 303
// to the password page; either way it returns a nil user, and the handler
// returns nil.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (*gatehouse.Session, *gatehouse.User, error) {
	sess, u, err := h.session(r)
	switch {
	case sso.IsPasswordChange(err):
		to := sso.PasswordPath
		if r.Method == http.MethodGet {
			to += "?return_to=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil, nil, nil
	case err != nil:
		return nil, nil, err
	case u == nil:
		to := "/users/sign_in"
		if back := sso.SafeRelayState(r.URL.RequestURI()); back != "" && r.Method == http.MethodGet {
			to += "?return_to=" + url.QueryEscape(back)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil, nil, nil
	}
	return sess, u, nil
}

// notices are the confirmations a page shows after a redirect, by the
// value of its notice parameter; the text never comes from the request.
var notices = map[string]string{
	"password_changed":  "Your password was changed. Every other session of your account was signed out.",
	"token_revoked":     "The token was revoked: it no longer works.",
	"identity_unlinked": "The identity was unlinked.",
}

// notice is the confirmation the request's notice parameter names.
func notice(r *http.Request) string { return notices[r.URL.Query().Get("notice")] }

// accountData is what the account page shows.
type accountData struct {
	*sso.Account
	// Error says why the last change was refused.
	Error string
	// NewToken is a token just created, shown this once.
	NewToken, NewTokenName string
	// TokenError says why a token was not created; TokenName and
	// TokenExpires give the form its values back.
	TokenError, TokenName, TokenExpires string
	// Tomorrow is the earliest expiry the date field offers.
	Tomorrow string
}

// renderAccount renders the account page of u with d's extra texts.
func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, u *gatehouse.User, d accountData) error {
	a, err := h.SSO.FindAccount(r.Context(), u)
	if err != nil {
		return err
	}
	d.Account = a
	d.Tomorrow = time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	return render(w, status, "account", page{Title: "Your account", SignedIn: u, Notice: notice(r), D: d})
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) error {
	_, u, err := h.signedIn(w, r)
	if u == nil || err != nil {
		return err
	}
	return h.renderAccount(w, r, http.StatusOK, u, accountData{})
}

// createToken creates a personal access token and shows it, this once, on
// the account page it answers with: it is never stored or sent again.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	_, u, err := h.signedIn(w, r)
	if u == nil || err != nil {
		return err
	}
	name, expires := strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("expires_at"))
	refuse := func(msg string) error {
		return h.renderAccount(w, r, http.StatusBadRequest, u, accountData{TokenError: msg, TokenName: name, TokenExpires: expires})
	}
	if name == "" {
		return refuse("Give the token a name, so that you can tell it from your others.")
	}
	var exp time.Time
	if expires != "" {
		if exp, err = time.Parse(time.DateOnly, expires); err != nil {
			return refuse("The expiry must be a date such as 2027-01-31, or empty for a token that never expires.")
		}
	}
	token, t, err := h.admin().CreatePAT(r.Context(), actor(r, u), admin.NewPAT{User: strconv.FormatInt(u.ID, 10), Name: name, ExpiresAt: exp})
	if gatehouse.IsKind(err, gatehouse.Invalid) {
		return refuse(capitalize(gatehouse.ErrorMessage(err)) + ".")
	}
	if err != nil {
		return err
	}
	return h.renderAccount(w, r, http.StatusCreated, u, accountData{NewToken: token, NewTokenName: t.Name})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	_, u, err := h.signedIn(w, r)
	if u == nil || err != nil {
		return err
	}
	id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if perr == nil {
		err = h.admin().RevokeUserPAT(r.Context(), actor(r, u), u.ID, id)
	}
	if perr != nil || gatehouse.IsKind(err, gatehouse.NotFound) {
		return h.renderAccount(w, r, http.StatusNotFound, u, accountData{Error: "You have no token with that id; it may have been revoked already."})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, sso.AccountPath+"?notice=token_revoked", http.StatusSeeOther)
	return nil
}

// unlinkData is what the unlink confirmation shows.
type unlinkData struct {
	Identity sso.AccountIdentity
	Role     string // the membership the unlink removes; "" for none
	Action   string
}

// unlink asks to confirm, then (with confirm=yes) unlinks the account's
// identity in the group.
func (h *Handler) unlink(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	_, u, err := h.signedIn(w, r)
	if u == nil || err != nil {
		return err
	}
	ref := r.PathValue("group")
	if r.PostFormValue("confirm") != "yes" {
		a, err := h.SSO.FindAccount(r.Context(), u)
		if err != nil {
			return err
		}
		for _, i := range a.Identities {
			if i.GroupPath != ref {
				continue
			}
			d := unlinkData{Identity: i, Action: "/-/account/identities/" + url.PathEscape(i.GroupPath) + "/unlink"}
			for _, g := range a.Groups {
				if g.Path == i.GroupPath && !g.Pending {
					d.Role = g.Role
				}
			}
			return render(w, http.StatusOK, "unlink", page{Title: "Unlink " + i.GroupName, SignedIn: u, D: d})
		}
		return h.renderAccount(w, r, http.StatusNotFound, u, accountData{Error: "Your account is not linked to that group's identity provider."})
	}
	err = h.SSO.Unlink(r.Context(), u, ref, server.RequestID(r.Context()))
	var ge *gatehouse.Error
	if errors.As(err, &ge) && (ge.Kind == gatehouse.NotFound || ge.Kind == gatehouse.Forbidden) {
		return h.renderAccount(w, r, server.ErrorStatus(err), u, accountData{Error: "The identity was not unlinked: " + ge.Message + "."})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, sso.AccountPath+"?notice=identity_unlinked", http.StatusSeeOther)
	return nil
}

// capitalize makes a message of the error vocabulary (lowercase) start a
// sentence.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
