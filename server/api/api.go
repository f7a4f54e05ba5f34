// Package api serves the admin API under /api/v4 in GitLab's shapes: a
// group owner reads, re-keys and removes the group's SCIM and SAML
// identities, lists its members and maps IdP groups to roles (SAML group
// links), with a personal access token. Its
// OpenAPI 3.1 document is served at GET /api/v4/openapi.json. (GET
// /api/v4/user, which also answers for a browser session, is package
// web's.)
//
// Every route authenticates the token (PRIVATE-TOKEN, or Authorization:
// Bearer) and asks admin.AuthorizeOwner about the group in the URL, its
// numeric id or its path. The rules are packages provision's and admin's;
// handlers parse, call one use case and write JSON. They return errors,
// which RenderError turns into GitLab's bodies: {"message":"401
// Unauthorized"}, {"message":"403 Forbidden"}, {"message":"404 Group Not
// Found"}, {"error":"extern_uid is missing"}, and {"message":"…"} saying
// what to fix for other client errors.
//
// Lists are paged GitLab's way (page, per_page, X-Total and the other
// headers, Link), and the store does the paging.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MaxBodyBytes bounds a request body of the admin API; the bodies it
// takes hold one extern_uid.
const MaxBodyBytes = 64 << 10

// Handler serves the admin API. Set the fields, then Register it. It is
// safe for concurrent use once registered.
type Handler struct {
	Store     store.Store
	SSO       *sso.Service // reads personal access tokens
	Admin     *admin.Service
	Provision *provision.Service

	base string // the server's base URL without a trailing slash, for Link headers
	doc  []byte // the OpenAPI document, with the server's URL
}

// route is one route of the API.
type route struct {
	pattern string
	serve   server.HandlerFunc
}

// routes lists every route the handler serves; the OpenAPI document
// describes exactly these and web's GET /api/v4/user.
func (h *Handler) routes() []route {
	g := "/api/v4/groups/{id}/"
	return []route{
		{"GET " + g + "scim/identities", h.listSCIM},
		{"GET " + g + "scim/{uid}", h.getSCIM},
		{"PATCH " + g + "scim/{uid}", h.patchSCIM},
		{"DELETE " + g + "scim/{uid}", h.deleteSCIM},
		{"GET " + g + "saml/identities", h.listSAML},
		{"GET " + g + "saml/{uid}", h.getSAML},
		{"PATCH " + g + "saml/{uid}", h.patchSAML},
		{"DELETE " + g + "saml/{uid}", h.deleteSAML},
		{"GET " + g + "members", h.listMembers},
		{"GET " + g + "saml_group_links", h.listLinks},
		{"POST " + g + "saml_group_links", h.addLink},
		{"GET " + g + "saml_group_links/{name}", h.getLink},
		{"DELETE " + g + "saml_group_links/{name}", h.deleteLink},
		{"GET /api/v4/openapi.json", h.openAPI},
	}
}

// Register adds the routes to srv. It panics when the embedded OpenAPI
// document is not valid JSON, which a test rules out.
func (h *Handler) Register(srv *server.Server) {
	h.base = strings.TrimSuffix(srv.BaseURL().String(), "/")
	h.doc = openAPIDocument(h.base)
	opt := server.WithErrorRenderer(RenderError)
	for _, rt := range h.routes() {
		srv.Handle(rt.pattern, rt.serve, opt)
	}
}

// caller authenticates the request's personal access token and checks
// that its user may administer the group in the URL.
func (h *Handler) caller(r *http.Request) (provision.Caller, error) {
	ctx := r.Context()
	u, err := h.user(ctx, r)
	if err != nil {
		return provision.Caller{}, err
	}
	g, err := admin.AuthorizeOwner(ctx, h.Store, u, r.PathValue("id"))
	if err != nil {
		return provision.Caller{}, resource("Group", err)
	}
	return provision.Caller{Group: g, UserID: u.ID, RequestID: server.RequestID(ctx)}, nil
}

// user returns the user of the personal access token in PRIVATE-TOKEN or
// in an Authorization: Bearer header. Unauthenticated without one, or for
// a malformed, unknown, revoked or expired token, or a blocked user's.
func (h *Handler) user(ctx context.Context, r *http.Request) (*gatehouse.User, error) {
	token, ok := server.AccessToken(r)
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.Unauthenticated, "the Authorization header is not a Bearer token")
	}
	if token == "" {
		return nil, gatehouse.Errorf(gatehouse.Unauthenticated, "no personal access token")
	}
	return h.SSO.TokenUser(ctx, token)
}

// notFoundError names the GitLab resource a NotFound error is about: its
// body is {"message":"404 <what> Not Found"}.
type notFoundError struct {
	what string
	err  error
}

func (e *notFoundError) Error() string { return e.err.Error() }
func (e *notFoundError) Unwrap() error { return e.err }

// resource names the resource of err when it is a NotFound.
func resource(what string, err error) error {
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return &notFoundError{what: what, err: err}
	}
	return err
}

// missingError is a required parameter left out, which GitLab answers
// with {"error":"<param> is missing"}. It is Invalid.
type missingError struct{ err *gatehouse.Error }

func missing(param string) error {
	return &missingError{err: gatehouse.Errorf(gatehouse.Invalid, "%s is missing", param)}
}

func (e *missingError) Error() string { return e.err.Message }
func (e *missingError) Unwrap() error { return e.err }

// RenderError is the admin API's server.ErrorRenderer: GitLab's JSON
// bodies, with fixed texts for 401, 403, 404 and 5xx, so that they reveal
// nothing, and the message that says what to fix for other client errors.
// The request id is in the X-Request-Id header of every response.
func RenderError(w http.ResponseWriter, r *http.Request, status int, err error, ref string) {
	var nf *notFoundError
	var miss *missingError
	key, msg := "message", server.ErrorMessage(err)
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status >= 500:
		msg = fmt.Sprintf("%d %s", status, http.StatusText(status))
	case status == http.StatusNotFound && errors.As(err, &nf):
		msg = "404 " + nf.what + " Not Found"
	case status == http.StatusNotFound:
		msg = "404 Not Found"
	case errors.As(err, &miss):
		key, msg = "error", miss.Error()
	}
	body, _ := json.Marshal(map[string]string{key: msg})
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// externUIDParam reads the extern_uid parameter of a PATCH: from a JSON
// object body, a form (urlencoded or multipart), or the query string, as
// GitLab's API reads parameters. Other parameters are ignored. A body that
// starts with '{' is read as JSON whatever its content type, since curl's
// --data labels JSON as a form.
func externUIDParam(w http.ResponseWriter, r *http.Request) (string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			return "", badBody("a valid multipart form", err)
		}
		if vs := r.MultipartForm.Value["extern_uid"]; len(vs) > 0 {
			return vs[0], nil
		}
		return queryParam(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return "", err // a body past MaxBodyBytes: 413
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || bytes.HasPrefix(trimmed, []byte("{")):
		if len(trimmed) == 0 {
			return queryParam(r)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				return "", gatehouse.Errorf(gatehouse.Invalid, "the request body must be a JSON object such as {\"extern_uid\":\"…\"}")
			}
			return "", badBody("valid JSON", err)
		}
		raw, ok := obj["extern_uid"]
		if !ok {
			return queryParam(r)
		}
		var uid *string
		if err := json.Unmarshal(raw, &uid); err != nil {
			return "", gatehouse.Errorf(gatehouse.Invalid, "extern_uid must be a JSON string")
		}
		if uid == nil {
			return "", nil // null: blank, refused by the use case
		}
		return *uid, nil
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", badBody("a valid form", err)
		}
		if form.Has("extern_uid") {
			return form.Get("extern_uid"), nil
		}
		return queryParam(r)
	}
}

// queryParam is extern_uid from the query string, or missing.
func queryParam(r *http.Request) (string, error) {
	if q := r.URL.Query(); q.Has("extern_uid") {
		return q.Get("extern_uid"), nil
	}
	return "", missing("extern_uid")
}

// badBody is the error for a body that is not what, keeping a body that is
// too large a 413.
func badBody(what string, err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return &gatehouse.Error{Kind: gatehouse.Invalid, Message: "the request body is not " + what, Err: err}
}
