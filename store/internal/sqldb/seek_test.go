package sqldb

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse/store"
)

func TestSeeks(t *testing.T) {
	const group, gen = 7, 3
	type page struct {
		p    store.Page
		n    int   // rows read
		last int64 // the last row's id
	}
	tests := []struct {
		name string
		read []page // remembered at gen, in order
		gen  int64  // the generation asked for
		p    store.Page
		want store.Page
		ok   bool
	}{
		{name: "nothing read", gen: gen, p: store.Page{Offset: 100, Limit: 100}, want: store.Page{Offset: 100, Limit: 100}},
		{name: "the next page", read: []page{{store.Page{Limit: 100}, 100, 1234}}, gen: gen,
			p: store.Page{Offset: 100, Limit: 100}, want: store.Page{AfterID: 1234, Limit: 100}, ok: true},
		{name: "a page further on", read: []page{{store.Page{Limit: 100}, 100, 1234}}, gen: gen,
			p: store.Page{Offset: 250, Limit: 10}, want: store.Page{AfterID: 1234, Offset: 150, Limit: 10}, ok: true},
		{name: "a page before", read: []page{{store.Page{Offset: 100, Limit: 100}, 100, 1234}}, gen: gen,
			p: store.Page{Offset: 150, Limit: 100}, want: store.Page{Offset: 150, Limit: 100}},
		{name: "another generation", read: []page{{store.Page{Limit: 100}, 100, 1234}}, gen: gen + 1,
			p: store.Page{Offset: 100, Limit: 100}, want: store.Page{Offset: 100, Limit: 100}},
		{name: "the nearest place before", read: []page{
			{store.Page{Limit: 100}, 100, 1000}, {store.Page{Offset: 300, Limit: 100}, 100, 4000}, {store.Page{Offset: 100, Limit: 100}, 100, 2000},
		}, gen: gen, p: store.Page{Offset: 350, Limit: 100}, want: store.Page{AfterID: 2000, Offset: 150, Limit: 100}, ok: true},
		{name: "a short last page", read: []page{{store.Page{Offset: 200, Limit: 100}, 40, 5000}}, gen: gen,
			p: store.Page{Offset: 240, Limit: 100}, want: store.Page{AfterID: 5000, Limit: 100}, ok: true},
		{name: "the first page", read: []page{{store.Page{Limit: 100}, 100, 1234}}, gen: gen,
			p: store.Page{Limit: 100}, want: store.Page{Limit: 100}},
		{name: "a page from an id", read: []page{{store.Page{Limit: 100}, 100, 1234}}, gen: gen,
			p: store.Page{AfterID: 99, Offset: 100, Limit: 100}, want: store.Page{AfterID: 99, Offset: 100, Limit: 100}},
		{name: "pages from an id are not remembered", read: []page{{store.Page{AfterID: 99, Limit: 100}, 100, 1234}}, gen: gen,
			p: store.Page{Offset: 100, Limit: 100}, want: store.Page{Offset: 100, Limit: 100}},
		{name: "empty pages are not remembered", read: []page{{store.Page{Offset: 100, Limit: 100}, 0, 0}}, gen: gen,
			p: store.Page{Offset: 100, Limit: 100}, want: store.Page{Offset: 100, Limit: 100}},
		{name: "the oldest place goes", read: []page{
			{store.Page{Limit: 10}, 10, 10}, {store.Page{Offset: 10, Limit: 10}, 10, 20}, {store.Page{Offset: 20, Limit: 10}, 10, 30},
			{store.Page{Offset: 30, Limit: 10}, 10, 40}, {store.Page{Offset: 40, Limit: 10}, 10, 50},
		}, gen: gen, p: store.Page{Offset: 15, Limit: 10}, want: store.Page{Offset: 15, Limit: 10}},
		{name: "the newer places stay", read: []page{
			{store.Page{Limit: 10}, 10, 10}, {store.Page{Offset: 10, Limit: 10}, 10, 20}, {store.Page{Offset: 20, Limit: 10}, 10, 30},
			{store.Page{Offset: 30, Limit: 10}, 10, 40}, {store.Page{Offset: 40, Limit: 10}, 10, 50},
		}, gen: gen, p: store.Page{Offset: 25, Limit: 10}, want: store.Page{AfterID: 20, Offset: 5, Limit: 10}, ok: true},
		{name: "the same place again", read: []page{
			{store.Page{Limit: 10}, 10, 10}, {store.Page{Limit: 10}, 10, 10}, {store.Page{Limit: 10}, 10, 10},
			{store.Page{Limit: 10}, 10, 10}, {store.Page{Limit: 10}, 10, 10}, {store.Page{Offset: 50, Limit: 10}, 10, 60},
		}, gen: gen, p: store.Page{Offset: 30, Limit: 10}, want: store.Page{AfterID: 10, Offset: 20, Limit: 10}, ok: true},
	}
	for _, tt := range tests {
		var s seeks
		for _, r := range tt.read {
			s.remember(group, gen, r.p, r.n, r.last)
		}
		got, ok := s.from(group, tt.gen, tt.p)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: from(%+v) = %+v, %v; want %+v, %v", tt.name, tt.p, got, ok, tt.want, tt.ok)
		}
		if got, ok := s.from(group+1, tt.gen, tt.p); got != tt.p || ok {
			t.Errorf("%s: from(another group, %+v) = %+v, %v; want it unchanged", tt.name, tt.p, got, ok)
		}
	}
}

// TestSeeksBounded checks that a place remembered at a new
// generation drops the group's places of older ones, and that the groups
// remembered stay bounded.
func TestSeeksBounded(t *testing.T) {
	var s seeks
	s.remember(1, 1, store.Page{Limit: 10}, 10, 100)
	s.remember(1, 2, store.Page{Offset: 50, Limit: 10}, 10, 600)
	if got := len(s.m[1]); got != 1 {
		t.Errorf("places of group 1 after a new generation = %d, want 1", got)
	}
	if _, ok := s.from(1, 1, store.Page{Offset: 10, Limit: 10}); ok {
		t.Errorf("from(generation 1) found a place after generation 2 was remembered")
	}
	for g := range int64(3 * maxSeekGroups) {
		s.remember(g, 1, store.Page{Limit: 10}, 10, 100)
	}
	if got := len(s.m); got > maxSeekGroups {
		t.Errorf("groups remembered = %d, want at most %d", got, maxSeekGroups)
	}
	if _, ok := s.from(3*maxSeekGroups-1, 1, store.Page{Offset: 10, Limit: 10}); !ok {
		t.Errorf("from(the group remembered last) found no place")
	}
}
