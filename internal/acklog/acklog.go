// Package acklog is the client's side of "lose nothing acknowledged": a
// load or crash test writes one line before each write it sends and one
// after the server answers, and a later check compares what the server
// holds with what it acknowledged.
//
// Writes are keyed by something the client chose and the server keeps
// unique (for SCIM users, the externalId), so a create whose answer was
// lost can still be found. For each key the expected state is the state of
// the last acknowledged write, or of any write sent after it whose outcome
// the client never learned (a crash between the commit and the answer).
// Anything else, including a mix of two writes' attributes (a half-applied
// write), is a problem.
//
// One key must only ever be written by one client goroutine at a time, so
// that the log's order for a key is the order the server saw.
package acklog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kinds of records.
const (
	Sent = "sent" // the write is about to be sent
	Ack  = "ack"  // the server answered 2xx: it must be kept
	Fail = "fail" // the server refused it (4xx): it must not have happened
)

// State is a resource's state as the client knows it: attribute names to
// values. Every state has "exists": "true" or "false"; a deletion's state
// is {"exists": "false"}.
type State map[string]string

// Gone is the state of a deleted or never-created resource.
func Gone() State { return State{"exists": "false"} }

func (s State) String() string {
	keys := slices.Sorted(maps.Keys(s))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + s[k]
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// Record is one line of the log.
type Record struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Op     string    `json:"op"`           // create, update, deprovision, delete, …
	Key    string    `json:"key"`          // e.g. the externalId
	ID     string    `json:"id,omitempty"` // the server's id, once known
	Status int       `json:"status,omitempty"`
	State  State     `json:"state"` // the state after the write
}

// Writer appends records to a file, one JSON line per write(2), so that a
// crash of the client loses at most the line being written.
type Writer struct {
	mu  sync.Mutex
	f   *os.File
	seq int64
	n   map[string]int
}

// Create opens path for appending, creating it if needed. Records already
// in the file are kept; sequence numbers continue after them.
func Create(path string) (*Writer, error) {
	recs, err := Read(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := dropTornTail(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	w := &Writer{f: f, n: map[string]int{}}
	if len(recs) > 0 {
		w.seq = recs[len(recs)-1].Seq
	}
	return w, nil
}

// dropTornTail cuts a last line a crashed client left unfinished, so that
// new records start on a line of their own.
func dropTornTail(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || len(b) == 0 || b[len(b)-1] == '\n' {
		return nil
	}
	if err != nil {
		return err
	}
	return os.Truncate(path, int64(bytes.LastIndexByte(b, '\n')+1))
}

// Append writes r with the next sequence number and the current time.
func (w *Writer) Append(r Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	r.Seq = w.seq
	if r.At.IsZero() {
		r.At = time.Now().UTC()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := w.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("acklog: %w", err)
	}
	w.n[r.Kind]++
	return nil
}

// Count is how many records of kind this writer appended.
func (w *Writer) Count(kind string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n[kind]
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// Read reads a log. A last line cut short by a crash of the client is
// ignored; a damaged line anywhere else is an error.
func Read(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse is Read of the log's bytes.
func Parse(b []byte) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			if !bytes.HasSuffix(b, []byte("\n")) && line == bytes.Count(b, []byte("\n"))+1 {
				break // the torn last line of a crashed client
			}
			return nil, fmt.Errorf("acklog: line %d: %v", line, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("acklog: %w", err)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Seq < recs[j].Seq })
	return recs, nil
}

// Expectation is what the server may hold for one key.
type Expectation struct {
	Key string
	ID  string // the server's id, when an answer gave it
	// Acked is the state of the last acknowledged write; nil when none was.
	Acked State
	// Maybe are the states of writes sent after it whose outcome is
	// unknown; any one of them (the last one applied) may be what the
	// server holds instead.
	Maybe []State
}

// Allowed reports whether s is a state the server may hold.
func (e *Expectation) Allowed(s State) bool {
	if e.Acked == nil && len(e.Maybe) == 0 {
		return true
	}
	if e.Acked != nil && matches(e.Acked, s) {
		return true
	}
	if e.Acked == nil && s["exists"] == "false" {
		return true // nothing acknowledged and the unknown writes did not happen
	}
	for _, m := range e.Maybe {
		if matches(m, s) {
			return true
		}
	}
	return false
}

// matches reports whether have agrees with every attribute of want.
func matches(want, have State) bool {
	if want["exists"] == "false" {
		return have["exists"] == "false"
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// Expect folds a log into one expectation per key. Only keys with at least
// one acknowledged write are returned: those are the ones a check must
// find as acknowledged.
func Expect(recs []Record) map[string]*Expectation {
	all := map[string]*Expectation{}
	for _, r := range recs {
		e := all[r.Key]
		if e == nil {
			e = &Expectation{Key: r.Key}
			all[r.Key] = e
		}
		if r.ID != "" {
			e.ID = r.ID
		}
		switch r.Kind {
		case Sent:
			e.Maybe = append(e.Maybe, r.State)
		case Ack:
			e.Acked, e.Maybe = r.State, nil
		case Fail:
			// The refused write is not among the possible states; drop
			// the last state sent for this key.
			if n := len(e.Maybe); n > 0 {
				e.Maybe = e.Maybe[:n-1]
			}
		}
	}
	out := map[string]*Expectation{}
	for k, e := range all {
		if e.Acked != nil {
			out[k] = e
		}
	}
	return out
}

// Report is the outcome of Check.
type Report struct {
	Checked  int      // keys with an acknowledged write
	Lost     int      // acknowledged, not found (or found in an older state)
	Problems []string // one line per key that is wrong, at most 50
}

func (r Report) String() string {
	s := fmt.Sprintf("checked %d acknowledged keys: %d lost or wrong", r.Checked, r.Lost)
	for _, p := range r.Problems {
		s += "\n  " + p
	}
	return s
}

// Check compares each expectation with the state get returns for its key.
func Check(exp map[string]*Expectation, get func(e *Expectation) (State, error)) (Report, error) {
	var rep Report
	keys := slices.Sorted(maps.Keys(exp))
	for _, k := range keys {
		e := exp[k]
		have, err := get(e)
		if err != nil {
			return rep, fmt.Errorf("acklog: read %s: %w", k, err)
		}
		rep.Checked++
		if !e.Allowed(have) {
			rep.Lost++
			if len(rep.Problems) < 50 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: server has %s, acknowledged %s (unconfirmed after it: %v)", k, have, e.Acked, e.Maybe))
			}
		}
	}
	return rep, nil
}
