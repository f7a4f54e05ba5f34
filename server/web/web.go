// Package web serves the browser side of Gatehouse: each group's SAML SSO
// (metadata, the sign-in page and its start, the assertion consumer
// service, the continue step and link confirmation), password sign-in
// (rate-limited) and sign-out, the account page (groups, linked identities
// and unlinking, personal access tokens), the password page, the group
// owner's pages (SAML SSO settings with the SCIM tokens, members and their
// identities, the SAML and SCIM logs), the demo IdP's pages under --demo,
// and GET /api/v4/user for a session cookie or a personal access token.
// The rules are packages sso's, admin's and provision's; this package
// speaks HTTP, cookies and HTML.
//
// Pages are html/template with one shared layout and plain CSS. Everything
// works without JavaScript; the one script (assets/copy.js, served from the
// server's own origin, the only one the Content-Security-Policy allows)
// adds Copy buttons. Every form control has a label. Every POST form but the ACS
// is checked by net/http's CrossOriginProtection; the ACS is exempt because
// the IdP posts to it cross-site, and its response is checked by signature
// instead. Failure pages say what happened, what to do and the reference
// id, never XML or internal details. Cookies are HttpOnly and SameSite=Lax,
// and Secure when the base URL is https.
//
// A session that signed in with a one-time password serves the password
// page and sign-out only: sso.Service.Session returns it with an error, so
// a handler that only checks the error refuses it (403), and the pages that
// need a signed-in user send it to the password page (signedIn).
package web

import (
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/demo"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/sso"
)

// Cookie names.
const (
	SessionCookie = "gatehouse_session"
	// BrowserCookie holds a random nonce that binds SAML flows to the
	// browser that started them (only its SHA-256 is stored).
	BrowserCookie = "gatehouse_browser"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template per page: the layout, with the page's
// "content" in it. A new page adds its file name here.
var pages = func() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	m := map[string]*template.Template{}
	for _, name := range []string{"failure", "sso", "link", "signin", "account", "password", "unlink"} {
		m[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	for _, name := range []string{"members", "identity", "samllog", "samlentry", "scimlog"} { // the owner's members and logs
		m[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	for _, name := range settingsPages {
		m[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return m
}()

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	// when spells a time to the minute in UTC; never for the zero time.
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04") + " UTC"
	},
	// day spells a date; never for the zero time.
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.DateOnly)
	},
}

// Handler serves the web pages. Set the fields, then Register it.
type Handler struct {
	SSO *sso.Service
	// Admin runs the account use cases the pages share with the command
	// line (personal access tokens); nil means one over SSO's store.
	Admin *admin.Service
	// Secure marks cookies Secure; set it when the base URL is https.
	Secure bool
	// Metrics, when set, counts sign-ins by outcome and times the ACS.
	Metrics *Metrics
	// Demo, when set, is serve --demo: the simulator's pages under
	// /-/demo/idp, and the demo banner on every page.
	Demo *demo.Demo

	cop *http.CrossOriginProtection
}

func (h *Handler) admin() *admin.Service {
	if h.Admin != nil {
		return h.Admin
	}
	return &admin.Service{Store: h.SSO.Store, Now: h.SSO.Now}
}

// Register adds the routes to srv.
func (h *Handler) Register(srv *server.Server) {
	h.cop = http.NewCrossOriginProtection()
	opt := server.WithErrorRenderer(RenderError)
	if h.Demo != nil {
		h.registerDemo(srv, opt)
	}
	g := "/groups/{group}/-/saml/"
	srv.HandleFunc("GET "+g+"metadata", h.metadata, opt)
	srv.HandleFunc("GET "+g+"sso", h.landing, opt)
	srv.HandleFunc("POST "+g+"sso", h.start, opt)
	srv.HandleFunc("POST "+g+"callback", h.acs, opt)
	srv.HandleFunc("GET "+g+"continue", h.continueFlow, opt)
	srv.HandleFunc("POST "+g+"continue", h.confirmLink, opt)
	srv.HandleFunc("GET /users/sign_in", h.signInForm, opt)
	srv.HandleFunc("POST /users/sign_in", h.signIn, opt)
	srv.HandleFunc("POST /users/sign_out", h.signOut, opt)
	srv.HandleFunc("GET /-/account", h.account, opt)
	srv.HandleFunc("GET "+sso.PasswordPath, h.passwordForm, opt)
	srv.HandleFunc("POST "+sso.PasswordPath, h.changePassword, opt)
	srv.HandleFunc("POST /-/account/tokens", h.createToken, opt)
	srv.HandleFunc("POST /-/account/tokens/{id}/revoke", h.revokeToken, opt)
	srv.HandleFunc("POST /-/account/identities/{group}/unlink", h.unlink, opt)
	srv.HandleFunc("GET /api/v4/user", h.apiUser)
	srv.HandleFunc("GET "+assetsPath+"{name}", h.asset, opt)
	h.registerMembers(srv, opt)
	h.registerSettings(srv, opt)
}

// page is what every template gets.
type page struct {
	Title    string
	SignedIn *gatehouse.User
	// Notice confirms what the last request did, above the content.
	Notice string
	D      any
	// Demo shows the demo banner: the instance runs serve --demo.
	Demo bool
}

func render(w http.ResponseWriter, status int, name string, p page) error {
	t := pages[name]
	if t == nil {
		t = demoPages[name]
	}
	p.Demo = isDemo(w)
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self' https:; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, err := w.Write([]byte(b.String()))
	return err
}

// failureData is what the failure page shows.
type failureData struct {
	Message, Next, Reference, RequestID string
	Link                                *pageLink // where to go next, if somewhere
}

// pageLink is a link a page offers.
type pageLink struct{ URL, Text string }

// RenderError is the ErrorRenderer of the web pages: an *sso.Failure
// becomes its page; anything else a page with the safe message and the
// request id.
func RenderError(w http.ResponseWriter, r *http.Request, status int, err error, ref string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Location")
	var f *sso.Failure
	if errors.As(err, &f) {
		// A Failure's texts are written to be shown, whatever its status.
		d := failureData{Message: f.Message, Next: f.Next, Reference: f.Reference, RequestID: ref}
		if sso.IsPasswordChange(err) {
			d.Link = &pageLink{sso.PasswordPath, "Choose a new password"}
		}
		setRetryAfter(w, f)
		render(w, status, "failure", page{Title: f.Title, D: d})
		return
	}
	title, next := "Something went wrong", "Try again in a minute. If it keeps failing, tell the instance's administrator the request id below."
	msg := server.ErrorMessage(err)
	if status < 500 {
		title, next = http.StatusText(status), "Go back and try again."
	}
	render(w, status, "failure", page{Title: title, D: failureData{Message: msg, Next: next, RequestID: ref}})
}

// setRetryAfter sets Retry-After when f says when to try again.
func setRetryAfter(w http.ResponseWriter, f *sso.Failure) {
	if f.RetryAfter <= 0 {
		return
	}
	// Whole seconds, rounded up: a client that waits that long finds the
	// window ended.
	secs := (f.RetryAfter + time.Second - 1) / time.Second
	w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
}

func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
}

// session returns the request's signed-in session and user, or nils. A
// session that must choose a new password first comes with the error for
// which sso.IsPasswordChange is true, so that callers that only check the
// error refuse it.
func (h *Handler) session(r *http.Request) (*gatehouse.Session, *gatehouse.User, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil, nil
	}
	sess, u, err := h.SSO.Session(r.Context(), c.Value)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, nil
	}
	return sess, u, err
}

// browser returns the browser's binding; with create, it gives a browser
// without a nonce cookie a new one.
func (h *Handler) browser(w http.ResponseWriter, r *http.Request, create bool) (sso.Browser, *gatehouse.User, error) {
	var b sso.Browser
	if c, err := r.Cookie(BrowserCookie); err == nil && c.Value != "" && len(c.Value) <= 128 {
		b.Hash = gatehouse.HashToken(c.Value)
	} else if create {
		nonce, hash := gatehouse.NewToken("")
		h.setCookie(w, BrowserCookie, nonce, 30*24*time.Hour)
		b.Hash = hash
	}
	sess, u, err := h.session(r)
	b.Session = sess
	return b, u, err
}

// checkOrigin refuses cross-origin POSTs (CSRF).
func (h *Handler) checkOrigin(r *http.Request) error {
	if err := h.cop.Check(r); err != nil {
		return &sso.Failure{Status: http.StatusForbidden, Outcome: "cross_origin",
			Title:   "Request refused",
			Message: "This form was sent from another site, so Gatehouse refused it.",
			Next:    "Go back to the Gatehouse page and send the form from there.", Err: err}
	}
	return nil
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) error {
	g, _, err := h.SSO.Group(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	md, err := h.SSO.Metadata(g)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, err = w.Write(md)
	return err
}

// ssoData is what the SSO landing page shows.
type ssoData struct {
	GroupName, IdPName, Here, Redirect string
	LinkPrompt, CanLink                bool
}

func (h *Handler) landing(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, cfg, err := h.SSO.Group(ctx, r.PathValue("group"))
	if err != nil {
		return err
	}
	b, u, err := h.browser(w, r, true)
	if err != nil {
		return err
	}
	d := ssoData{GroupName: g.Name, IdPName: idpName(cfg), Here: "/groups/" + g.Path + "/-/saml/sso",
		Redirect: sso.SafeRelayState(r.URL.Query().Get("redirect"))}
	if u != nil {
		linked, err := h.SSO.Linked(ctx, g, u)
		if err != nil {
			return err
		}
		d.LinkPrompt = !linked
		d.CanLink = h.SSO.CanLink(b.Session)
	}
	return render(w, http.StatusOK, "sso", page{Title: "Sign in to " + g.Name, SignedIn: u, D: d})
}

// idpName is how the sign-in button names the IdP: its SSO URL's host.
func idpName(cfg *gatehouse.SAMLConfig) string {
	if u, err := url.Parse(cfg.SSOURL); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return "your identity provider"
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	ctx := r.Context()
	g, cfg, err := h.SSO.Group(ctx, r.PathValue("group"))
	if err != nil {
		return err
	}
	b, _, err := h.browser(w, r, true)
	if err != nil {
		return err
	}
	to, err := h.SSO.Start(ctx, g, cfg, b.Hash, b.Session, r.PostFormValue("redirect"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

func (h *Handler) acs(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	start := time.Now()
	ref := r.PathValue("group")
	g, cfg, err := h.SSO.Group(ctx, ref)
	if err != nil {
		h.Metrics.observe("not_configured", "", time.Since(start))
		return err
	}
	in := sso.Response{ByID: isDigits(ref), ClientIP: clientIP(r), UserAgent: r.UserAgent()}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.Metrics.observe(sso.OutcomeInvalid, g.Path, time.Since(start))
			return err
		}
		in.FormError = "The sign-in response was not a readable form."
	}
	// One value each: a second one is the parameter pollution of
	// security.md §1.17.
	if len(r.PostForm["SAMLResponse"]) != 1 || len(r.PostForm["RelayState"]) > 1 {
		in.FormError = "The sign-in response must carry exactly one SAMLResponse and at most one RelayState."
	}
	in.SAMLResponse, in.RelayState = r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState")
	acc, err := h.SSO.ACS(ctx, g, cfg, in)
	outcome := acc.Outcome
	var f *sso.Failure
	if errors.As(err, &f) {
		outcome = f.Outcome
	} else if err != nil {
		outcome = "error"
	}
	h.Metrics.observe(outcome, g.Path, time.Since(start))
	if f != nil && f.Verify != nil {
		return renderVerify(w, f.Status, g, nil, f.Verify)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, acc.Location, http.StatusSeeOther)
	return nil
}

func clientIP(r *http.Request) string {
	if ip := server.ClientIP(r); ip.IsValid() {
		return ip.String()
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// linkData is what the link confirmation page shows.
type linkData struct {
	GroupName, NameID, Username, Token, Action string
}

func (h *Handler) continueFlow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, _, err := h.SSO.Group(ctx, r.PathValue("group"))
	if err != nil {
		return err
	}
	b, u, err := h.browser(w, r, false)
	if err != nil {
		return err
	}
	res, err := h.SSO.Continue(ctx, g, r.URL.Query().Get("token"), b)
	if err != nil {
		return err
	}
	if c := res.Confirm; c != nil {
		return render(w, http.StatusOK, "link", page{Title: "Link your account", SignedIn: u, D: linkData{
			GroupName: c.GroupName, NameID: c.NameID, Username: c.Username, Token: c.Token,
			Action: "/groups/" + g.Path + "/-/saml/continue"}})
	}
	if res.Verify != nil {
		return renderVerify(w, http.StatusOK, g, u, res.Verify)
	}
	return h.finish(w, r, res)
}

func (h *Handler) confirmLink(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	ctx := r.Context()
	g, _, err := h.SSO.Group(ctx, r.PathValue("group"))
	if err != nil {
		return err
	}
	b, _, err := h.browser(w, r, false)
	if err != nil {
		return err
	}
	res, err := h.SSO.ConfirmLink(ctx, g, r.PostFormValue("token"), b)
	if err != nil {
		return err
	}
	return h.finish(w, r, res)
}

func (h *Handler) finish(w http.ResponseWriter, r *http.Request, res sso.Result) error {
	if res.SessionToken != "" {
		h.setCookie(w, SessionCookie, res.SessionToken, h.SSO.SessionLifetime())
	}
	http.Redirect(w, r, res.Location, http.StatusSeeOther)
	return nil
}

// signInData is what the sign-in page shows.
type signInData struct {
	LinkNotice             bool
	Error, Login, ReturnTo string
}

func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) error {
	_, u, err := h.session(r)
	if err != nil && !sso.IsPasswordChange(err) {
		return err
	}
	q := r.URL.Query()
	return render(w, http.StatusOK, "signin", page{Title: "Sign in", SignedIn: u, D: signInData{
		LinkNotice: q.Get("reason") == "link", ReturnTo: sso.SafeRelayState(q.Get("return_to"))}})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	sess, _, err := h.session(r)
	if err != nil && !sso.IsPasswordChange(err) {
		return err
	}
	login, returnTo := r.PostFormValue("login"), sso.SafeRelayState(r.PostFormValue("return_to"))
	in, err := h.SSO.SignInPassword(r.Context(), sso.PasswordSignIn{
		Login: login, Password: r.PostFormValue("password"), ClientIP: server.ClientIP(r), Current: sess})
	var f *sso.Failure
	if errors.As(err, &f) {
		setRetryAfter(w, f)
		return render(w, f.Status, "signin", page{Title: "Sign in", D: signInData{
			Error: f.Message + " " + f.Next, Login: login, ReturnTo: returnTo}})
	}
	if err != nil {
		return err
	}
	if in.MustChangePassword {
		to := sso.PasswordPath
		if returnTo != "" {
			to += "?return_to=" + url.QueryEscape(returnTo)
		}
		return h.finish(w, r, sso.Result{Location: to, SessionToken: in.Token})
	}
	if returnTo == "" {
		returnTo = sso.AccountPath
	}
	return h.finish(w, r, sso.Result{Location: returnTo, SessionToken: in.Token})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	sess, _, err := h.session(r)
	if err != nil && !sso.IsPasswordChange(err) {
		return err
	}
	if err := h.SSO.SignOut(r.Context(), sess); err != nil {
		return err
	}
	h.clearCookie(w, SessionCookie)
	http.Redirect(w, r, "/users/sign_in", http.StatusSeeOther)
	return nil
}

// apiUser is GitLab's GET /api/v4/user: the user of the personal access
// token (PRIVATE-TOKEN or a Bearer token) or of the session cookie.
func (h *Handler) apiUser(w http.ResponseWriter, r *http.Request) error {
	var u *gatehouse.User
	token, ok := server.AccessToken(r)
	if !ok {
		return unauthorized(w)
	}
	if token != "" {
		var err error
		u, err = h.SSO.TokenUser(r.Context(), token)
		if gatehouse.IsKind(err, gatehouse.Unauthenticated) {
			return unauthorized(w)
		}
		if err != nil {
			return err
		}
	} else {
		var err error
		_, u, err = h.session(r)
		if sso.IsPasswordChange(err) {
			return writeJSON(w, http.StatusForbidden, `{"message":"403 Forbidden - choose a new password at `+sso.PasswordPath+` first"}`)
		}
		if err != nil {
			return err
		}
	}
	if u == nil {
		return unauthorized(w)
	}
	body, err := json.Marshal(map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name, "state": u.State, "email": u.PrimaryEmail(),
		"is_admin": u.Admin,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(body)
	return err
}

// unauthorized answers GitLab's 401.
func unauthorized(w http.ResponseWriter) error {
	return writeJSON(w, http.StatusUnauthorized, `{"message":"401 Unauthorized"}`)
}

func writeJSON(w http.ResponseWriter, status int, body string) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err := w.Write([]byte(body))
	return err
}
