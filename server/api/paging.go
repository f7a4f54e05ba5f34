package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Paging defaults and limits, GitLab's.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	// MaxPage bounds page so that the offset it asks of the store stays
	// far from overflowing; no group has a hundred million members.
	MaxPage = 1_000_000
)

// page is the window of a list a request asks for.
type page struct {
	number int // 1-based
	size   int // per_page
}

// parsePage reads page (default 1) and per_page (default 20, larger values
// capped at 100). A value that is not a whole number of at least 1 is
// Invalid; an empty one means the default.
func parsePage(r *http.Request) (page, error) {
	q := r.URL.Query()
	p := page{number: 1, size: DefaultPerPage}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPage {
			return page{}, gatehouse.Errorf(gatehouse.Invalid, "page must be a whole number from 1 to %d, not %q", MaxPage, v)
		}
		p.number = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return page{}, gatehouse.Errorf(gatehouse.Invalid, "per_page must be a whole number from 1 to %d, not %q", MaxPerPage, v)
		}
		p.size = min(n, MaxPerPage)
	}
	return p, nil
}

// store is the page as the store takes it.
func (p page) store() store.Page {
	return store.Page{Offset: (p.number - 1) * p.size, Limit: p.size}
}

// paginate sets GitLab's paging headers for the page of a list of total
// items: X-Total, X-Total-Pages (at least 1), X-Page, X-Per-Page,
// X-Next-Page and X-Prev-Page (empty at the ends), and Link with rel
// prev, next, first and last, whose absolute URLs are the request's with
// page and per_page replaced, on the server's base URL.
func (h *Handler) paginate(w http.ResponseWriter, r *http.Request, p page, total int) {
	pages := max(1, (total+p.size-1)/p.size)
	next, prev := 0, 0
	if p.number < pages {
		next = p.number + 1
	}
	if p.number > 1 && p.number <= pages {
		prev = p.number - 1
	}
	hd := w.Header()
	hd.Set("X-Total", strconv.Itoa(total))
	hd.Set("X-Total-Pages", strconv.Itoa(pages))
	hd.Set("X-Page", strconv.Itoa(p.number))
	hd.Set("X-Per-Page", strconv.Itoa(p.size))
	hd.Set("X-Next-Page", itoaOrEmpty(next))
	hd.Set("X-Prev-Page", itoaOrEmpty(prev))

	link := func(n int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(p.size))
		return "<" + h.base + r.URL.EscapedPath() + "?" + q.Encode() + `>; rel="` + rel + `"`
	}
	var links []string
	if prev > 0 {
		links = append(links, link(prev, "prev"))
	}
	if next > 0 {
		links = append(links, link(next, "next"))
	}
	links = append(links, link(1, "first"), link(pages, "last"))
	hd.Set("Link", strings.Join(links, ", "))
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// list answers a list route: it authorizes the owner, reads the page the
// query asks for with fetch, and writes its items, each through out, with
// GitLab's paging headers.
func list[T, U any](h *Handler, w http.ResponseWriter, r *http.Request, fetch func(provision.Caller, store.Page) ([]T, int, error), out func(T) U) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	items, total, err := fetch(c, p.store())
	if err != nil {
		return err
	}
	body := make([]U, 0, len(items))
	for _, it := range items {
		body = append(body, out(it))
	}
	h.paginate(w, r, p, total)
	return writeJSON(w, http.StatusOK, body)
}
