// Package scimhttp serves each group's SCIM 2.0 endpoint at
// /api/scim/v2/groups/{group}, where {group} is the group's path (dots
// allowed) or its numeric id: Users, Groups, ServiceProviderConfig, Schemas
// and ResourceTypes.
//
// It speaks the dialects real identity providers send: resource segments in
// any letter case and with a trailing slash, application/json or
// application/scim+json bodies, Microsoft's /serviceConfiguration alias. Every
// answer is application/scim+json; every error an RFC 7644 error document.
// Authentication is the group's SCIM bearer token; a missing, wrong or foreign
// token, and an unknown group, all get the same 401 so that nobody learns
// which groups exist.
package scimhttp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/store"
)

// ContentType is the media type of every SCIM response.
const ContentType = "application/scim+json"

// Prefix is where the per-group SCIM endpoints live.
const Prefix = "/api/scim/v2/groups/"

// Handler serves the SCIM endpoints. Set the fields, then Register it.
type Handler struct {
	Store     store.Store
	Provision *provision.Service
	// BaseURL is the server's public URL without a trailing slash; resource
	// locations are built from it.
	BaseURL string
	// Metrics, when set, counts requests by operation and status.
	Metrics *Metrics
	// RequestLog, when set, receives an entry for every authenticated
	// request, under the token's group, once the answer is known: the
	// redacted bodies, status, operation and timing (the group's SCIM
	// request log). Unauthenticated requests belong to no group and are not
	// logged.
	RequestLog *scimlog.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RateLimit is how many requests per second one group may make of
	// this server (and up to a second's worth at once) before it is
	// answered 429 with Retry-After; 0 means no limit. serve uses
	// DefaultRateLimit unless told otherwise.
	RateLimit float64

	auth  authCache
	limit rateLimiter
}

// Register adds the SCIM routes to srv.
func (h *Handler) Register(srv *server.Server) {
	opt := server.WithErrorRenderer(RenderError)
	srv.Handle(Prefix+"{group}/{rest...}", server.HandlerFunc(h.serve), opt)
	srv.Handle(Prefix+"{group}", server.HandlerFunc(h.serve), opt)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// request is one authenticated SCIM request.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	caller provision.Caller
	// base is the group's SCIM base URL in the form the client used (path or
	// id), so that locations match what the IdP stores.
	base string
	// body is the request body as read, and note what the request log
	// should say about it (the attributes ParseUser ignored).
	body []byte
	note string
}

// outcome is what serving a request learned, for the metrics and the
// request log.
type outcome struct {
	op    string   // what the request did: list_users, create_user, …
	group string   // the group's path, once authenticated
	req   *request // the authenticated request; nil before
	// panicked is set when the handler panicked (the server answers 500).
	panicked bool
}

// serve serves a request, then counts it and, once it is authenticated,
// records it in the group's request log.
func (h *Handler) serve(rw http.ResponseWriter, r *http.Request) (err error) {
	start := h.now()
	w := &statusWriter{ResponseWriter: rw, capture: h.RequestLog != nil}
	out := outcome{op: "unauthenticated", panicked: true} // panicked until dispatch returns
	defer func() {
		status := statusOf(w, err)
		switch {
		case out.panicked:
			status = http.StatusInternalServerError // what the server renders for a panic
		case errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled):
			status = statusClientClosed // as the server's access log has it
		}
		elapsed := h.now().Sub(start)
		if h.Metrics != nil {
			h.Metrics.observe(out.op, status, out.group, elapsed)
		}
		if h.RequestLog != nil && out.req != nil {
			h.record(&out, w, start, elapsed, status, err)
		}
	}()
	err = h.dispatch(w, r, &out)
	out.panicked = false
	return err
}

// statusClientClosed is the status of a request whose client went away
// before the answer: nginx's 499, which the server's access log uses too.
const statusClientClosed = 499

// dispatch authenticates, then dispatches on the resource segment; it notes
// in out what it learns on the way.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, out *outcome) (err error) {
	g, tok, err := h.authenticate(r)
	if err != nil {
		return err
	}
	out.op, out.group = "unknown", g.Path
	if h.RateLimit > 0 {
		if ok, wait := h.limit.take(g.ID, h.now(), h.RateLimit); !ok {
			// Not recorded in the group's request log: a flood would
			// write it as fast as it came. The metrics count it.
			out.op = "throttled"
			return throttled(w, wait, h.RateLimit)
		}
	}
	req := &request{
		w: w, r: r,
		caller: provision.Caller{Group: g, TokenID: tok.ID, RequestID: server.RequestID(r.Context())},
		base:   h.BaseURL + Prefix + r.PathValue("group"),
	}
	out.req = req
	segs := strings.Split(strings.Trim(r.PathValue("rest"), "/"), "/")
	resource := strings.ToLower(segs[0])
	id := ""
	if len(segs) == 2 {
		id = segs[1]
	}
	if len(segs) > 2 || (len(segs) == 2 && id == "") {
		return scim.Errorf(http.StatusNotFound, "", "no SCIM endpoint at %s", r.URL.Path)
	}

	switch resource {
	case "users":
		out.op, err = h.users(req, id)
	case "groups":
		out.op, err = h.groups(req, id)
	case "serviceproviderconfig", "serviceconfiguration", "":
		// The base URL itself answers too: OneLogin's "Enable" probes it.
		out.op = "service_provider_config"
		err = h.discovery(req, id, scim.ServiceProviderConfig(req.base), nil)
	case "schemas":
		out.op = "schemas"
		err = h.discovery(req, id, scim.Schemas(req.base), func(id string) (map[string]any, bool) { return scim.SchemaByID(req.base, id) })
	case "resourcetypes":
		out.op = "resource_types"
		err = h.discovery(req, id, scim.ResourceTypes(req.base), func(id string) (map[string]any, bool) { return scim.ResourceTypeByName(req.base, id) })
	default:
		err = scim.Errorf(http.StatusNotFound, "",
			"no SCIM endpoint %q; this endpoint serves Users, Groups, ServiceProviderConfig, Schemas and ResourceTypes", segs[0])
	}
	return err
}

// unauthorized is the one answer to every failed authentication: it says
// nothing about whether the group exists or which part was wrong.
var unauthorized = scim.Errorf(http.StatusUnauthorized, "",
	"authentication failed: send the group's SCIM token as 'Authorization: Bearer <token>'")

// authenticate resolves the group and checks the bearer token against it.
func (h *Handler) authenticate(r *http.Request) (*gatehouse.Group, *gatehouse.SCIMToken, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !gatehouse.WellFormedToken(gatehouse.SCIMTokenPrefix, token) {
		return nil, nil, unauthorized
	}
	ctx := r.Context()
	hash := gatehouse.HashToken(token)
	key := authKey{group: r.PathValue("group")}
	copy(key.hash[:], hash)
	now := h.now()
	if t, g, ok := h.auth.get(key, now); ok {
		return g, t, nil
	}
	t, err := h.Store.FindSCIMTokenByHash(ctx, hash)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, unauthorized
	}
	if err != nil {
		return nil, nil, err
	}
	g, err := admin.FindGroup(ctx, h.Store, r.PathValue("group"))
	if gatehouse.IsKind(err, gatehouse.NotFound) || (err == nil && g.ID != t.GroupID) {
		return nil, nil, unauthorized
	}
	if err != nil {
		return nil, nil, err
	}
	// Last use is kept to the minute: a sync of 100,000 users must not write
	// the token row 100,000 times.
	if now.Sub(t.LastUsedAt) > time.Minute {
		if err := h.Store.TouchSCIMToken(ctx, t.ID, now); err != nil {
			server.Logger(ctx).Warn("recording SCIM token use", "token_id", t.ID, "err", err)
		}
		t.LastUsedAt = now
	}
	h.auth.put(key, t, g, now)
	return g, t, nil
}

// discovery serves a discovery list, or one of its entries by id.
func (h *Handler) discovery(req *request, id string, list map[string]any, one func(string) (map[string]any, bool)) error {
	if req.r.Method != http.MethodGet {
		return methodNotAllowed(req.w, "GET")
	}
	if id == "" {
		return writeJSON(req.w, http.StatusOK, list)
	}
	if one != nil {
		if doc, ok := one(id); ok {
			return writeJSON(req.w, http.StatusOK, doc)
		}
	}
	return scim.Errorf(http.StatusNotFound, "", "no entry %q", id)
}

func methodNotAllowed(w http.ResponseWriter, allow string) error {
	w.Header().Set("Allow", allow)
	return scim.Errorf(http.StatusMethodNotAllowed, "", "method not allowed here; use %s", allow)
}

// writeJSON writes a SCIM document.
func writeJSON(w http.ResponseWriter, status int, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// readBody reads a JSON request body, refusing other media types, and keeps
// what it read for the request log.
func (req *request) readBody() ([]byte, error) {
	r := req.r
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != ContentType && mt != "application/json") {
			return nil, scim.Errorf(http.StatusUnsupportedMediaType, "",
				"Content-Type %q is not supported; send application/scim+json or application/json", ct)
		}
	}
	b, err := io.ReadAll(r.Body)
	req.body = b
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, scim.Errorf(http.StatusRequestEntityTooLarge, "",
			"the request body is larger than %d bytes; send one resource per request", tooBig.Limit)
	}
	return b, err
}

// RenderError writes err as an RFC 7644 error document: a *scim.Error as it
// is; gatehouse kinds with the SCIM type that fits; anything else as a 500
// that names only the reference, which the log line repeats.
func RenderError(w http.ResponseWriter, r *http.Request, status int, err error, ref string) {
	e := asSCIMError(status, err, ref)
	h := w.Header()
	h.Del("ETag")
	h.Del("Location")
	h.Set("Cache-Control", "no-store")
	writeJSON(w, e.Status, e.Body())
}

func asSCIMError(status int, err error, ref string) *scim.Error {
	var se *scim.Error
	if errors.As(err, &se) {
		return se
	}
	msg := gatehouse.ErrorMessage(err)
	switch status {
	case http.StatusBadRequest:
		return scim.Errorf(status, scim.InvalidValue, "%s", msg)
	case http.StatusConflict:
		return scim.Errorf(status, scim.Uniqueness, "%s", msg)
	case http.StatusNotFound:
		return scim.Errorf(status, "", "%s", msg)
	case http.StatusRequestEntityTooLarge:
		return scim.Errorf(status, "", "%s", server.ErrorMessage(err))
	case http.StatusUnauthorized:
		return unauthorized
	case http.StatusServiceUnavailable:
		// Unavailable errors say what is wrong in terms a client can act
		// on (the database did not answer in time, its disk is full) and
		// never name hosts or files.
		return scim.Errorf(status, "", "%s (reference %s)", server.ErrorMessage(err), ref)
	}
	if status < 500 {
		return scim.Errorf(status, "", "%s", msg)
	}
	return scim.Errorf(http.StatusInternalServerError, "", "internal error (reference %s)", ref)
}
