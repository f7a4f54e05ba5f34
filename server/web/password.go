package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/sso"
)

// passwordData is what the password page shows.
type passwordData struct {
	// Forced says the account signed in with a one-time password, which
	// must be changed before anything else.
	Forced bool
	// HasPassword is false for a managed account, which gets an
	// explanation instead of the form.
	HasPassword   bool
	ManagingGroup string
	Error         string
	ReturnTo      string
	MinLength     int
	MaxLength     int
}

// renderPassword renders the password page for u, with errMsg when the
// last change was refused.
func (h *Handler) renderPassword(w http.ResponseWriter, r *http.Request, status int, u *gatehouse.User, forced bool, returnTo, errMsg string) error {
	d := passwordData{Forced: forced, HasPassword: u.Kind == gatehouse.Personal && u.PasswordHash != "",
		Error: errMsg, ReturnTo: returnTo, MinLength: password.MinLength, MaxLength: password.MaxLength}
	if !d.HasPassword {
		a, err := h.SSO.FindAccount(r.Context(), u)
		if err != nil {
			return err
		}
		d.ManagingGroup = a.ManagingGroup
	}
	title := "Change your password"
	if forced {
		title = "Choose a new password"
	}
	return render(w, status, "password", page{Title: title, SignedIn: u, Notice: notice(r), D: d})
}

// passwordSession is the password page's session: any signed-in one,
// including one that may do nothing else. Without one it answers 303 to
// the sign-in page and returns a nil user.
func (h *Handler) passwordSession(w http.ResponseWriter, r *http.Request) (*gatehouse.Session, *gatehouse.User, bool, error) {
	sess, u, err := h.session(r)
	forced := sso.IsPasswordChange(err)
	if err != nil && !forced {
		return nil, nil, false, err
	}
	if u == nil {
		http.Redirect(w, r, "/users/sign_in?return_to="+url.QueryEscape(sso.PasswordPath), http.StatusSeeOther)
	}
	return sess, u, forced, nil
}

func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request) error {
	_, u, forced, err := h.passwordSession(w, r)
	if u == nil || err != nil {
		return err
	}
	return h.renderPassword(w, r, http.StatusOK, u, forced, sso.SafeRelayState(r.URL.Query().Get("return_to")), "")
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	sess, u, forced, err := h.passwordSession(w, r)
	if u == nil || err != nil {
		return err
	}
	returnTo := sso.SafeRelayState(r.PostFormValue("return_to"))
	refuse := func(status int, msg string) error {
		return h.renderPassword(w, r, status, u, forced, returnTo, msg)
	}
	next := r.PostFormValue("new_password")
	if next != r.PostFormValue("confirm_password") {
		return refuse(http.StatusBadRequest, "The new password and its confirmation differ. Type the same password twice.")
	}
	token, err := h.SSO.ChangePassword(r.Context(), sso.PasswordChange{Session: sess, User: u,
		Current: r.PostFormValue("current_password"), New: next,
		ClientIP: server.ClientIP(r), RequestID: server.RequestID(r.Context())})
	var f *sso.Failure
	switch {
	case errors.As(err, &f):
		setRetryAfter(w, f)
		return refuse(f.Status, f.Message+" "+f.Next)
	case errors.Is(err, admin.ErrWrongPassword):
		return refuse(http.StatusForbidden, "The current password is wrong. Your password was not changed.")
	case gatehouse.IsKind(err, gatehouse.Invalid), gatehouse.IsKind(err, gatehouse.Forbidden), gatehouse.IsKind(err, gatehouse.Conflict):
		return refuse(server.ErrorStatus(err), capitalize(gatehouse.ErrorMessage(err))+". Your password was not changed.")
	case err != nil:
		return err
	}
	if returnTo == "" || returnTo == sso.PasswordPath {
		returnTo = sso.AccountPath + "?notice=password_changed"
	}
	return h.finish(w, r, sso.Result{Location: returnTo, SessionToken: token})
}
