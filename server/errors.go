package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-sso/gatehouse"
)

// Handler serves a request and returns the error, if any, that should become
// the response. A handler that returns an error must not have written the
// response; headers it set (WWW-Authenticate, Allow) are kept. The Server logs
// the error and renders it, so handlers never write error responses
// themselves.
type Handler interface {
	ServeHTTPErr(w http.ResponseWriter, r *http.Request) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTPErr calls f(w, r).
func (f HandlerFunc) ServeHTTPErr(w http.ResponseWriter, r *http.Request) error {
	return f(w, r)
}

// ErrorRenderer writes the response for an error a handler returned (or a
// panic it raised): status is ErrorStatus(err) and ref the request id, which
// the body should show so that a user can quote it and an operator find the
// log line. Renderers must not put err's text in the body for a 5xx status;
// ErrorMessage gives the text that is safe to show. The default is
// RenderJSONError; SCIM routes plug in one that writes RFC 7644 error bodies,
// web pages one that writes HTML.
type ErrorRenderer func(w http.ResponseWriter, r *http.Request, status int, err error, ref string)

// HandleOption adjusts one route registration.
type HandleOption func(*route)

// WithErrorRenderer makes the route render its errors (and panics) with render
// instead of RenderJSONError.
func WithErrorRenderer(render ErrorRenderer) HandleOption {
	return func(rt *route) { rt.render = render }
}

// route is one registration.
type route struct {
	render ErrorRenderer
	quiet  bool
}

// StatusError is an error that carries its own HTTP status, such as a
// protocol's error with a status its RFC fixes (a SCIM 412 or 501). Its
// Error text is safe to show for statuses below 500.
type StatusError interface {
	error
	HTTPStatus() int
}

// ErrorStatus maps an error to its HTTP status: a StatusError to its own;
// an *http.MaxBytesError anywhere in the chain (a body past
// Config.MaxBodyBytes) to 413; the gatehouse kinds to 400, 401, 403, 404,
// 409, 503 and 500; a context deadline that no *gatehouse.Error explains
// (the request ran out of Config.RequestTimeout) to 503; anything else to
// 500.
func ErrorStatus(err error) int {
	var se StatusError
	if errors.As(err, &se) {
		return se.HTTPStatus()
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	if timedOut(err) {
		return http.StatusServiceUnavailable
	}
	switch gatehouse.ErrorKind(err) {
	case gatehouse.Invalid:
		return http.StatusBadRequest
	case gatehouse.Unauthenticated:
		return http.StatusUnauthorized
	case gatehouse.Forbidden:
		return http.StatusForbidden
	case gatehouse.NotFound:
		return http.StatusNotFound
	case gatehouse.Conflict:
		return http.StatusConflict
	case gatehouse.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// ErrorMessage returns the text about err that is safe to show to the client:
// the gatehouse message for the kinds a client can act on, the limit for a body
// that is too large, and "internal error" for everything that maps to 500,
// whose details are for the log only.
func ErrorMessage(err error) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Sprintf("request body is larger than the limit of %d bytes", tooBig.Limit)
	}
	if ErrorStatus(err) == http.StatusInternalServerError {
		return "internal error"
	}
	if timedOut(err) {
		return timedOutMessage
	}
	return gatehouse.ErrorMessage(err)
}

// timedOutMessage is what a client reads when its request ran out of time
// and nothing more specific was said.
const timedOutMessage = "the request did not finish in time; try again"

// timedOut reports whether err is a context deadline that carries no
// *gatehouse.Error to say what it means.
func timedOut(err error) bool {
	var ge *gatehouse.Error
	return errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &ge)
}

// RetryAfter is the Retry-After header, in seconds, of every 503 an error
// causes: long enough for a restarted database to come back, short enough
// that a sync is not held up.
const RetryAfter = "5"

// errorBody is the JSON shape of RenderJSONError.
type errorBody struct {
	Message   string `json:"message"`
	Reference string `json:"reference"`
}

// RenderJSONError is the default ErrorRenderer: it writes status and
// {"message": ErrorMessage(err), "reference": ref}.
func RenderJSONError(w http.ResponseWriter, r *http.Request, status int, err error, ref string) {
	body, _ := json.Marshal(errorBody{Message: ErrorMessage(err), Reference: ref})
	h := w.Header()
	// Headers a handler set for the success path would describe the wrong body.
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// handleError is the one place a request's error is logged and rendered.
func (s *Server) handleError(w http.ResponseWriter, r *http.Request, err error) {
	info, _ := ensureInfo(r)
	log := Logger(r.Context())

	// The client went away and the handler gave up: nothing can be written,
	// and nothing is wrong with the server. 499 is nginx's status for it.
	// A request that ran out of Config.RequestTimeout has a client still
	// waiting: it gets its 503.
	if errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled) {
		log.Info("client closed request", "err", err)
		if info.rec != nil && !info.rec.wroteHeader {
			info.rec.status = 499
		}
		return
	}

	status := ErrorStatus(err)
	if status >= 500 {
		log.Error("request failed", "status", status, "err", err)
	} else {
		log.Info("request rejected", "status", status, "err", err)
	}
	if info.rec != nil && info.rec.wroteHeader {
		// The handler broke the contract and started the response; appending an
		// error body to it would only corrupt it.
		log.Error("error returned after the response was started; not rendered", "status", info.rec.status)
		return
	}
	if status == http.StatusServiceUnavailable {
		// The database (or the request's deadline) failed, not the request:
		// say when a retry makes sense. IdPs retry 503s on their own
		// schedule; this is a hint for every other client.
		w.Header().Set("Retry-After", RetryAfter)
	}
	render := info.render
	if render == nil {
		render = RenderJSONError
	}
	render(w, r, status, err, info.id)
}

var _ Handler = HandlerFunc(nil)
