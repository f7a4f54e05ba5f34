package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/demo"
	"github.com/gatehouse-sso/gatehouse/server"
)

// The pages of serve --demo's IdP simulator, with the shared layout.
var demoPages = func() map[string]*template.Template {
	layout := template.Must(template.ParseFS(templateFS, "templates/layout.html"))
	m := map[string]*template.Template{}
	for _, name := range []string{"demo_idp", "demo_post"} {
		m[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return m
}()

// The simulator's routes.
const (
	demoIdP = demo.IdPPath
	demoSSO = demo.IdPPath + "/sso"
)

// registerDemo adds the simulator's routes, and marks every response of
// the server as a demo instance's so that every page shows the banner.
// Without --demo none of this exists: the routes answer 404.
func (h *Handler) registerDemo(srv *server.Server, opt server.HandleOption) {
	srv.Wrap(markDemo)
	srv.HandleFunc("GET "+demoIdP, h.demoHome, opt)
	srv.HandleFunc("GET "+demoSSO, h.demoSSO, opt)
	srv.HandleFunc("POST "+demoSSO, h.demoAnswer, opt)
	srv.HandleFunc("POST "+demoIdP+"/initiate", h.demoInitiate, opt)
	srv.HandleFunc("POST "+demoIdP+"/provision", h.demoProvision, opt)
	srv.HandleFunc("POST "+demoIdP+"/users/{id}/active", h.demoSetActive, opt)
}

// demoWriter marks a response as a demo instance's; render looks for it.
type demoWriter struct{ http.ResponseWriter }

func (w demoWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w demoWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func markDemo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(demoWriter{w}, r)
	})
}

// isDemo reports whether w, or a writer it wraps, is a demoWriter.
func isDemo(w http.ResponseWriter) bool {
	for {
		switch x := w.(type) {
		case demoWriter:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return false
		}
	}
}

// demoIdPData is what the simulator's page shows.
type demoIdPData struct {
	GroupName, SignInURL, EntityID string
	// Request is the key of the verified AuthnRequest waiting for a pick;
	// empty on the IdP-initiated page.
	Request     string
	Users       []demo.User
	Provisioned string // what "Provision sample users" did
}

// demoHome is the simulator's app dashboard: IdP-initiated sign-in.
func (h *Handler) demoHome(w http.ResponseWriter, r *http.Request) error {
	return h.demoPage(w, r, "")
}

// demoSSO receives an SP-initiated AuthnRequest (HTTP-Redirect binding),
// verifies it, and shows who may sign in. After a provisioning button it
// comes back with ?request= the key of the request verified before.
func (h *Handler) demoSSO(w http.ResponseWriter, r *http.Request) error {
	key := r.URL.Query().Get("request")
	if key == "" || !h.Demo.Waiting(key) {
		var err error
		if key, err = h.Demo.Verify(r); err != nil {
			return err
		}
	}
	return h.demoPage(w, r, key)
}

func (h *Handler) demoPage(w http.ResponseWriter, r *http.Request, key string) error {
	_, u, err := h.session(r)
	if err != nil {
		return err
	}
	users, err := h.Demo.Users(r.Context())
	if err != nil {
		return err
	}
	g := h.Demo.Group()
	return render(w, http.StatusOK, "demo_idp", page{Title: "Demo identity provider (simulator)", SignedIn: u, D: demoIdPData{
		GroupName: g.Name, SignInURL: h.Demo.SignInURL(), EntityID: h.Demo.EntityID(), Request: key, Users: users,
		Provisioned: r.URL.Query().Get("provisioned")}})
}

// demoAnswer signs the picked user in, in answer to the waiting request.
func (h *Handler) demoAnswer(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	post, err := h.Demo.Answer(r.Context(), r, r.PostFormValue("request"), r.PostFormValue("name_id"))
	if err != nil {
		return err
	}
	return h.demoPost(w, r, post)
}

// demoInitiate signs the picked user in without a request (IdP-initiated).
func (h *Handler) demoInitiate(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	post, err := h.Demo.Unsolicited(r.Context(), r, r.PostFormValue("name_id"))
	if err != nil {
		return err
	}
	return h.demoPost(w, r, post)
}

// demoPost is the HTTP-POST binding: a form the person sends to the ACS
// with the Continue button (no script, so nothing for the CSP to allow).
func (h *Handler) demoPost(w http.ResponseWriter, r *http.Request, post demo.Post) error {
	_, u, err := h.session(r)
	if err != nil {
		return err
	}
	return render(w, http.StatusOK, "demo_post", page{Title: "Continue to " + h.Demo.Group().Name, SignedIn: u, D: post})
}

// demoProvision sends the sample people over the demo group's SCIM API.
func (h *Handler) demoProvision(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	n, err := h.Demo.ProvisionSamples(r.Context())
	if err != nil {
		return err
	}
	h.demoBack(w, r, url.Values{"provisioned": {strconv.Itoa(n)}})
	return nil
}

// demoSetActive deprovisions (active=false) or reactivates one user over
// SCIM.
func (h *Handler) demoSetActive(w http.ResponseWriter, r *http.Request) error {
	if err := h.checkOrigin(r); err != nil {
		return err
	}
	active := r.PostFormValue("active") == "true"
	if err := h.Demo.SetActive(r.Context(), r.PathValue("id"), active); err != nil {
		return gatehouse.Errorf(gatehouse.Invalid, "%v", err)
	}
	h.demoBack(w, r, url.Values{})
	return nil
}

// demoBack returns to the simulator page the form was on: the waiting
// request's, or the dashboard.
func (h *Handler) demoBack(w http.ResponseWriter, r *http.Request, q url.Values) {
	to := demoIdP
	if key := r.PostFormValue("request"); key != "" && h.Demo.Waiting(key) {
		to = demoSSO
		q.Set("request", key)
	}
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
