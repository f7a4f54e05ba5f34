package admin

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Reading a group's SAML log.
const (
	// SAMLLogKeep is how many entries the SAML log keeps of each group;
	// the ACS trims each group's log to it (sso.LogKeep). Older entries
	// are gone.
	SAMLLogKeep = 1000
	// DefaultSAMLLogLimit is how many entries SAMLLog returns when
	// SAMLLogFilter.Limit is zero.
	DefaultSAMLLogLimit = 20
	// MaxSAMLLogLimit is the most entries SAMLLog returns at once: all the
	// log keeps.
	MaxSAMLLogLimit = SAMLLogKeep
)

// samlLogPage is how many entries SAMLLog reads at a time when it filters.
const samlLogPage = 100

// SAMLLogFilter says which entries of a group's SAML log SAMLLog returns.
type SAMLLogFilter struct {
	// Outcome keeps only the entries with this outcome (invalid,
	// unknown_name_id, signed_in, …); empty keeps every entry.
	Outcome string
	// Limit is the most entries returned, 1 to MaxSAMLLogLimit; zero means
	// DefaultSAMLLogLimit.
	Limit int
}

// SAMLLog returns the group's newest SAML log entries that pass f, newest
// first, and the group. Errors: NotFound (group), Invalid (f.Limit out of
// range).
func (s *Service) SAMLLog(ctx context.Context, groupRef string, f SAMLLogFilter) (*gatehouse.Group, []*gatehouse.SAMLLogEntry, error) {
	limit := f.Limit
	if limit == 0 {
		limit = DefaultSAMLLogLimit
	}
	if limit < 1 || limit > MaxSAMLLogLimit {
		return nil, nil, gatehouse.Errorf(gatehouse.Invalid, "a SAML log listing holds 1 to %d entries, not %d", MaxSAMLLogLimit, f.Limit)
	}
	g, err := FindGroup(ctx, s.Store, groupRef)
	if err != nil {
		return nil, nil, err
	}
	// The store does not filter by outcome, so a filtered listing reads
	// the log a page at a time, newest first, until it has limit entries.
	// That is bounded: the log keeps SAMLLogKeep entries per group, and
	// entries written meanwhile sort above the first page, unread.
	p := store.Page{Limit: limit}
	if f.Outcome != "" {
		p.Limit = samlLogPage
	}
	var out []*gatehouse.SAMLLogEntry
	for {
		page, _, err := s.Store.ListSAMLLogs(ctx, g.ID, p)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range page {
			if f.Outcome != "" && e.Outcome != f.Outcome {
				continue
			}
			out = append(out, e)
			if len(out) == limit {
				return g, out, nil
			}
		}
		if len(page) < p.Limit {
			return g, out, nil
		}
		p.AfterID = page[len(page)-1].ID
	}
}

// FindSAMLLogEntry returns the entry of the group's SAML log with the
// reference id ref (the one the failure page shows), and the group.
// Errors: NotFound (group; no entry, which includes one the log no longer
// keeps), Invalid (ref is not of the form of a reference id).
func (s *Service) FindSAMLLogEntry(ctx context.Context, groupRef, ref string) (*gatehouse.Group, *gatehouse.SAMLLogEntry, error) {
	if !gatehouse.ValidSAMLLogReference(ref) {
		return nil, nil, gatehouse.Errorf(gatehouse.Invalid,
			"%q is not a SAML log reference id: those are 1 to %d letters, digits, - and _", ref, gatehouse.SAMLLogTokenLimit)
	}
	g, err := FindGroup(ctx, s.Store, groupRef)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.Store.FindSAMLLogByReference(ctx, g.ID, ref)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return g, nil, gatehouse.Errorf(gatehouse.NotFound,
			"no entry in group %s's SAML log has the reference id %s; the log keeps only the group's newest %d entries",
			g.Path, ref, SAMLLogKeep)
	}
	if err != nil {
		return nil, nil, err
	}
	return g, e, nil
}

// SAMLLogChecks decodes the checks of an entry, as the ACS writes them:
// the verdict of each check made, in order, a failed one last (see
// saml.Verdict). An entry without checks (one refused before its response
// was read) has none. Internal when they do not decode.
func SAMLLogChecks(e *gatehouse.SAMLLogEntry) ([]saml.Check, error) {
	if len(e.Checks) == 0 {
		return nil, nil
	}
	var checks []saml.Check
	if err := json.Unmarshal(e.Checks, &checks); err != nil {
		return nil, fmt.Errorf("decode the checks of SAML log entry %s: %w", e.ReferenceID, err)
	}
	return checks, nil
}
