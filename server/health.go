package server

import (
	"context"
	"io"
	"net/http"
	"time"
)

// readyTimeout bounds the readiness probe's database ping: probes are retried,
// and one that hangs is worse than one that says no.
const readyTimeout = 2 * time.Second

// health answers whether the process is up. It deliberately checks nothing
// else: a liveness probe that fails on a database outage would have the
// orchestrator restart every replica when only the database is down.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	writeText(w, http.StatusOK, "ok")
	return nil
}

// ready answers whether this server should receive requests: not while it
// shuts down, and not while the database does not answer. The reason is short
// and generic; the database error, which might name the host, goes to the log.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	select {
	case <-s.draining:
		writeText(w, http.StatusServiceUnavailable, "shutting down")
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.DB.Ping(ctx); err != nil {
		Logger(r.Context()).Warn("readiness check failed", "err", err)
		writeText(w, http.StatusServiceUnavailable, "database unavailable")
		return nil
	}
	writeText(w, http.StatusOK, "ok")
	return nil
}

// writeText writes a short text/plain response. No newline is appended, so
// that scripts comparing the body with "ok" need not trim it.
func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, text)
}
