package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MaxLogPage is the most entries SearchSAMLLog and SearchSCIMLog return at
// once.
const MaxLogPage = 200

// logScanPage is how many entries a filtered search reads at a time. The
// stores do not filter the logs, so a search reads them newest first; that
// is bounded, as each group's logs keep only their newest entries (1,000
// by default).
const logScanPage = 100

// SAMLLogSearch says which entries of a group's SAML log SearchSAMLLog
// returns.
type SAMLLogSearch struct {
	Outcome string // only entries with this outcome; empty: any
	NameID  string // only entries with this NameID, in any letter case; empty: any
	Offset  int    // skip that many matching entries
	Limit   int    // at most that many, 1 to MaxLogPage
}

// SearchSAMLLog returns the entries of the group's SAML log that match f,
// newest first, and whether more match after them. Invalid when f's
// paging is out of range.
func (s *Service) SearchSAMLLog(ctx context.Context, g *gatehouse.Group, f SAMLLogSearch) ([]*gatehouse.SAMLLogEntry, bool, error) {
	key := canon.Key(f.NameID)
	keep := func(e *gatehouse.SAMLLogEntry) bool {
		return (f.Outcome == "" || e.Outcome == f.Outcome) && (f.NameID == "" || canon.Key(e.NameID) == key)
	}
	list := func(p store.Page) ([]*gatehouse.SAMLLogEntry, error) {
		l, _, err := s.Store.ListSAMLLogs(ctx, g.ID, p)
		return l, err
	}
	return scanLog(list, func(e *gatehouse.SAMLLogEntry) int64 { return e.ID }, keep, f.Offset, f.Limit)
}

// SCIMLogSearch says which entries of a group's SCIM request log
// SearchSCIMLog returns.
type SCIMLogSearch struct {
	Method string // only requests with this method, in any letter case; empty: any
	Status int    // only answers with this status; 0: any
	Path   string // only requests whose path (with its query) holds this, in any letter case
	Offset int    // skip that many matching entries
	Limit  int    // at most that many, 1 to MaxLogPage
}

// SearchSCIMLog returns the entries of the group's SCIM request log that
// match f, newest first, and whether more match after them. Invalid when
// f's paging is out of range.
func (s *Service) SearchSCIMLog(ctx context.Context, g *gatehouse.Group, f SCIMLogSearch) ([]*gatehouse.SCIMRequestLog, bool, error) {
	path := strings.ToLower(f.Path)
	keep := func(e *gatehouse.SCIMRequestLog) bool {
		return (f.Method == "" || strings.EqualFold(e.Method, f.Method)) &&
			(f.Status == 0 || e.Status == f.Status) &&
			(path == "" || strings.Contains(strings.ToLower(e.Path), path))
	}
	list := func(p store.Page) ([]*gatehouse.SCIMRequestLog, error) {
		l, _, err := s.Store.ListSCIMRequestLogs(ctx, g.ID, p)
		return l, err
	}
	return scanLog(list, func(e *gatehouse.SCIMRequestLog) int64 { return e.ID }, keep, f.Offset, f.Limit)
}

// scanLog reads a log newest first, a page at a time, and returns the
// limit entries that keep accepts after skipping offset of them, and
// whether more follow.
func scanLog[T any](list func(store.Page) ([]T, error), id func(T) int64, keep func(T) bool, offset, limit int) ([]T, bool, error) {
	if limit < 1 || limit > MaxLogPage {
		return nil, false, gatehouse.Errorf(gatehouse.Invalid, "a page of the log holds 1 to %d entries, not %d", MaxLogPage, limit)
	}
	if offset < 0 {
		return nil, false, gatehouse.Errorf(gatehouse.Invalid, "the offset in the log must not be negative")
	}
	var out []T
	p := store.Page{Limit: logScanPage}
	for {
		page, err := list(p)
		if err != nil {
			return nil, false, err
		}
		for _, e := range page {
			if !keep(e) {
				continue
			}
			if offset > 0 {
				offset--
				continue
			}
			if len(out) == limit {
				return out, true, nil
			}
			out = append(out, e)
		}
		if len(page) < p.Limit {
			return out, false, nil
		}
		p.AfterID = id(page[len(page)-1])
	}
}

// FindSAMLLogEntryByRef returns the entry of the group's SAML log with the
// reference id a failure page showed. Invalid when ref is not of the form
// of one; NotFound when the log does not hold it (another group's, or
// older than the entries the log keeps).
func (s *Service) FindSAMLLogEntryByRef(ctx context.Context, g *gatehouse.Group, ref string) (*gatehouse.SAMLLogEntry, error) {
	if !gatehouse.ValidSAMLLogReference(ref) {
		return nil, gatehouse.Errorf(gatehouse.Invalid,
			"%q is not a reference id: those are 1 to %d letters, digits, - and _", ref, gatehouse.SAMLLogTokenLimit)
	}
	e, err := s.Store.FindSAMLLogByReference(ctx, g.ID, ref)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, gatehouse.Errorf(gatehouse.NotFound,
			"the SAML log of %s holds no entry with the reference id %s; it keeps only the newest entries", g.Path, ref)
	}
	return e, err
}

// DecodeSAMLChecks returns the checks of a SAML log entry as the ACS
// writes them (saml.Verdict's Checks: each check made, in order, a failed
// one last). An entry refused before its response was read has none.
func DecodeSAMLChecks(e *gatehouse.SAMLLogEntry) ([]saml.Check, error) {
	if len(e.Checks) == 0 {
		return nil, nil
	}
	var checks []saml.Check
	if err := json.Unmarshal(e.Checks, &checks); err != nil {
		return nil, fmt.Errorf("decode the checks of SAML log entry %s: %w", e.ReferenceID, err)
	}
	return checks, nil
}
