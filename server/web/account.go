package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
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
	"password_changed": "Your password was changed. Every other session of your account was signed out.",
}

// notice is the confirmation the request's notice parameter names.
func notice(r *http.Request) string { return notices[r.URL.Query().Get("notice")] }

func (h *Handler) account(w http.ResponseWriter, r *http.Request) error {
	_, u, err := h.signedIn(w, r)
	if u == nil || err != nil {
		return err
	}
	a, err := h.SSO.FindAccount(r.Context(), u)
	if err != nil {
		return err
	}
	return render(w, http.StatusOK, "account", page{Title: "Your account", SignedIn: u, Notice: notice(r), D: a})
}

// capitalize makes a message of the error vocabulary (lowercase) start a
// sentence.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
