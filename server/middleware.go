package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// middleware wraps a handler in one concern.
type middleware func(http.Handler) http.Handler

// chain wraps h in mws, the first outermost.
func chain(h http.Handler, mws ...middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// securityHeaders sets the headers every response carries. They are set before
// the handler runs so that error pages and panics get them too.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	// HSTS only when clients reach us over HTTPS; on plain HTTP it would be
	// ignored at best, and it must never pin a host that cannot serve TLS.
	hsts := s.cfg.tls != nil || s.cfg.baseURL.Scheme == "https"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// SAML and SCIM URLs carry group paths and ids; no page of ours needs to
		// tell another site where the user came from.
		h.Set("Referrer-Policy", "no-referrer")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// clientInfo records who sent the request and how. The X-Forwarded-* headers
// are believed only when the peer is a trusted proxy: anyone else can write
// them, and believing them would let a client pick the IP address that rate
// limits and audit logs see.
func (s *Server) clientInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, r := ensureInfo(r)
		peer := remoteIP(r)
		info.clientIP, info.scheme, info.host = peer, "http", r.Host
		if r.TLS != nil {
			info.scheme = "https"
		}
		if s.trusted(peer) {
			info.clientIP = s.forwardedClient(r, peer)
			if proto := strings.ToLower(lastValue(r.Header, "X-Forwarded-Proto")); proto == "http" || proto == "https" {
				info.scheme = proto
			}
			if host := lastValue(r.Header, "X-Forwarded-Host"); validHost(host) {
				info.host = host
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requestID gives the request its id (a trusted proxy's, so that one id
// follows the request through both logs, else a fresh one), echoes it in the
// response and attaches it to the request's logger.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, r := ensureInfo(r)
		id := r.Header.Get("X-Request-Id")
		if !s.trusted(remoteIP(r)) || !validRequestID(id) {
			id = newRequestID()
		}
		info.id = id
		info.logger = s.log.With("request_id", id)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

// observe writes the access log line and the request metrics once the
// response is done. The route comes from the route wrapper, after routing;
// requests no route matched are labelled "unmatched", never with their path,
// so that the metrics' label sets stay bounded whatever clients send.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, r := ensureInfo(r)
		rec := &responseRecorder{ResponseWriter: w}
		info.rec = rec
		start := time.Now()
		// Deferred so that a request aborted with http.ErrAbortHandler is
		// logged and counted too.
		defer func() {
			elapsed := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK // what net/http sends for an empty response
			}
			route := info.route
			if route == "" {
				route = "unmatched"
			}
			method := metricMethod(r.Method)
			s.metrics.observe(route, method, status, elapsed)

			level := slog.LevelInfo
			if info.quiet {
				level = slog.LevelDebug
			}
			// The path is logged, never the query: SAML redirects and tokens
			// travel in queries.
			Logger(r.Context()).LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Duration("duration", elapsed),
				slog.Int64("bytes", rec.bytes),
				slog.String("client_ip", ClientIP(r).String()),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// recoverPanics turns a handler's panic into a logged 500 rendered by the
// route's renderer, so one bad request never takes the process down.
// http.ErrAbortHandler is passed on: it is net/http's way to abort a response
// deliberately and quietly.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			Logger(r.Context()).Error("panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s.handleError(w, r, fmt.Errorf("panic: %v", p))
		}()
		next.ServeHTTP(w, r)
	})
}

// deadline ends the request's context after RequestTimeout. Everything a
// handler does with the database takes that context, so a database that does
// not answer makes the handler fail with an Unavailable error (503) in
// bounded time, and the connection it waited for, or held, goes back to the
// pool, instead of requests piling up behind it.
func (s *Server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// limitBody caps every request body at MaxBodyBytes, so that no handler can
// be made to buffer an unbounded upload. A read past the cap fails with an
// *http.MaxBytesError, which ErrorStatus maps to 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// responseRecorder remembers the status and size of a response for the access
// log and metrics, and whether it has started, so that an error is not
// rendered into a response already under way.
type responseRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	bytes       int64
}

func (rr *responseRecorder) WriteHeader(code int) {
	// 1xx responses (103 Early Hints) precede the real one.
	if !rr.wroteHeader && code >= 200 {
		rr.status = code
		rr.wroteHeader = true
	}
	rr.ResponseWriter.WriteHeader(code)
}

func (rr *responseRecorder) Write(p []byte) (int, error) {
	if !rr.wroteHeader {
		rr.status = http.StatusOK
		rr.wroteHeader = true
	}
	n, err := rr.ResponseWriter.Write(p)
	rr.bytes += int64(n)
	return n, err
}

// Flush passes a flush through, for handlers that test for http.Flusher.
func (rr *responseRecorder) Flush() {
	if !rr.wroteHeader {
		rr.status = http.StatusOK
		rr.wroteHeader = true
	}
	_ = http.NewResponseController(rr.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer (for
// Hijack, deadlines and the rest).
func (rr *responseRecorder) Unwrap() http.ResponseWriter {
	return rr.ResponseWriter
}
