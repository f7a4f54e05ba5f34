package sqldb

import (
	"sync"

	"github.com/gatehouse-sso/gatehouse/store"
)

// An IdP reads a group's users page by page, startIndex 1, 101, 201, …:
// without help each page skips all the rows before it again, so a read of
// the whole group costs the square of its size. seeks remembers where
// recent pages of each group's whole list (no filter) ended, and a page
// that starts at or after such a place continues from its id instead
// (Page.AfterID), skipping only the rows in between.
//
// That gives the same rows as skipping Offset rows only while the group's
// live identities are those the remembered page saw: their positions
// depend on every row before them, and a row may appear anywhere in id
// order (PostgreSQL hands out ids before it commits). The generation of
// the group's count (migration 00004) goes up with every change of them,
// so a place is remembered with the generation its page was read at, used
// only while the count still has it, and the page read from it is kept
// only if the generation did not move while it was read (listLiveSCIM).
//
// Places are a cache: a store forgets them when it closes, each process
// has its own, and a page that finds none simply skips its rows.
type seeks struct {
	mu sync.Mutex
	m  map[int64][]seek // by group, at most seeksPerGroup
}

// seek is a place in a group's list: while the group's count had
// generation gen, the rows at positions next and later (counted from 0)
// were those with ids above after.
type seek struct {
	gen   int64
	next  int
	after int64
}

// seeksPerGroup bounds the places kept per group, for a few readers of one
// group at a time; maxSeekGroups bounds the groups.
const (
	seeksPerGroup = 4
	maxSeekGroups = 1024
)

// from returns the page that reads what p reads, from the remembered place
// of the group at generation gen nearest before p's start, and whether
// there was one. Pages that start from the beginning or from an id are
// returned as they are.
func (s *seeks) from(groupID, gen int64, p store.Page) (store.Page, bool) {
	if p.AfterID > 0 || p.Offset <= 0 {
		return p, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	best, found := seek{}, false
	for _, sk := range s.m[groupID] {
		if sk.gen == gen && sk.next <= p.Offset && (!found || sk.next > best.next) {
			best, found = sk, true
		}
	}
	if !found {
		return p, false
	}
	return store.Page{AfterID: best.after, Offset: p.Offset - best.next, Limit: p.Limit}, true
}

// remember records where the page p of the group, read at generation gen,
// ended: its last row has id last and n rows were read. Places of other
// generations are dropped, as is the oldest when the group has
// seeksPerGroup.
func (s *seeks) remember(groupID, gen int64, p store.Page, n int, last int64) {
	if p.AfterID > 0 || n == 0 {
		return
	}
	next := max(p.Offset, 0) + n
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[int64][]seek)
	}
	old, ok := s.m[groupID]
	if !ok && len(s.m) >= maxSeekGroups {
		for g := range s.m { // forget some group, any
			delete(s.m, g)
			break
		}
	}
	kept := make([]seek, 0, seeksPerGroup)
	for _, sk := range old {
		if sk.gen == gen && sk.next != next {
			kept = append(kept, sk)
		}
	}
	if len(kept) == seeksPerGroup {
		kept = kept[1:]
	}
	s.m[groupID] = append(kept, seek{gen: gen, next: next, after: last})
}
