package scimhttp

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
)

// record hands the request log the entry of one authenticated request. The
// Authorization header is never part of it; the bodies and the query are
// redacted (scimlog.RedactBody, scimlog.Path). Log never blocks, so a slow
// database costs log entries, not requests.
func (h *Handler) record(out *outcome, w *statusWriter, start time.Time, elapsed time.Duration, status int, err error) {
	req := out.req
	r := req.r
	e := &gatehouse.SCIMRequestLog{
		GroupID:     req.caller.Group.ID,
		At:          start,
		RequestID:   req.caller.RequestID,
		Method:      r.Method,
		Path:        scimlog.Path(r.URL),
		Status:      status,
		Duration:    elapsed,
		Operation:   out.op,
		RequestBody: scimlog.RedactBody(req.body, 0),
		Note:        req.note,
		UserAgent:   r.UserAgent(),
	}
	if ip := server.ClientIP(r); ip.IsValid() {
		e.ClientIP = ip.String()
	}
	switch {
	case status == statusClientClosed:
		e.Note = joinNote(e.Note, "the client closed the connection before the answer")
	case err != nil || out.panicked:
		// The server renders the error after serve returns, so it never
		// passes through w: render the same document here. A panic has no
		// error; it gets the 500 the server renders for it.
		se := asSCIMError(status, err, req.caller.RequestID)
		if b, merr := json.Marshal(se.Body()); merr == nil {
			e.ResponseBody = scimlog.RedactBody(b, 0)
		}
	default:
		e.ResponseBody = scimlog.RedactBody(w.body, w.size-len(w.body))
	}
	h.RequestLog.Log(e)
}

// noteIgnored notes the attributes of a POST or PUT body that ParseUser
// ignored (behaviour.md decision 28), so that an owner can find the typo.
func (req *request) noteIgnored(names []string) {
	if len(names) > 0 {
		req.note = joinNote(req.note, "ignored unknown attributes: "+strings.Join(names, ", "))
	}
}

// joinNote appends a sentence to a note.
func joinNote(note, more string) string {
	if note == "" {
		return more
	}
	return note + "; " + more
}
