package admin

import (
	"context"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MaxLogPage is the most entries SearchSAMLLog and SearchSCIMLog return at
// once.
const MaxLogPage = 200

// logScanPage is how many entries a filtered search reads at a time. The
// stores do not filter the logs, so a search reads them newest first; that
// is bounded, as each group's logs keep only their newest entries
// (SAMLLogKeep, scimlog.DefaultKeep).
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
// newest first, and whether more match after them: SAMLLog with a NameID
// filter and an offset, for the owner's paged log page. Invalid when f's
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
