package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
)

// The owner's log pages: the group's SAML log (every response its ACS
// received, with the verdict of each check) and its SCIM request log
// (every authenticated SCIM request, bodies redacted). Both are newest
// first, filtered and paged; the stores keep only the newest entries of
// each group.

// logPerPage is how many entries a page of either log holds.
const logPerPage = 50

// samlOutcomes are the outcomes the SAML log's filter offers, as
// package sso names them.
var samlOutcomes = []string{"signed_in", "create", "link_required", "password_first", "invalid", "replayed",
	"unknown_name_id", "not_linkable", "deprovisioned", "blocked", "misconfigured", "unavailable"}

// option is one option of a select.
type option struct {
	Value    string
	Selected bool
}

func options(values []string, selected string) []option {
	out := []option{{Value: "", Selected: selected == ""}}
	for _, v := range values {
		out = append(out, option{Value: v, Selected: v == selected})
	}
	return out
}

// samlLogRow is one line of the SAML log.
type samlLogRow struct {
	At, Outcome, Reference, NameID, Path, Failed string
	OK                                           bool
}

// samlLogData is what the SAML log page shows.
type samlLogData struct {
	GroupName, GroupPath, Action string
	NameID, Ref                  string
	Outcomes                     []option
	Rows                         []samlLogRow
	Pager                        pager
	Error                        string
}

// isOutcome reports whether s has the form of a SAML log outcome.
func isOutcome(s string) bool {
	if s == "" || len(s) > gatehouse.SAMLLogTokenLimit || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// passed reports whether an outcome is one of a response that passed
// every check.
func passed(outcome string) bool {
	switch outcome {
	case "signed_in", "create", "link_required", "password_first":
		return true
	}
	return false
}

func (h *Handler) samlLog(w http.ResponseWriter, r *http.Request) error {
	g, u, ok, err := h.ownerGroup(w, r, r.URL.RequestURI())
	if !ok {
		return err
	}
	q := r.URL.Query()
	outcome, nameID, ref := q.Get("outcome"), q.Get("name_id"), strings.TrimSpace(q.Get("ref"))
	d := samlLogData{GroupName: g.Name, GroupPath: g.Path, Action: groupBase(g) + "saml/log", NameID: nameID, Ref: ref}
	status := http.StatusOK
	fail := func(msg string) {
		if d.Error == "" {
			d.Error, status = msg, http.StatusBadRequest
		}
	}
	if ref != "" {
		if gatehouse.ValidSAMLLogReference(ref) {
			http.Redirect(w, r, d.Action+"/"+ref, http.StatusSeeOther)
			return nil
		}
		fail("“" + clip(ref) + "” is not a reference id: a failure page shows one, made of letters, digits, - and _.")
	}
	if outcome != "" && !isOutcome(outcome) {
		fail("Choose an outcome from the list.")
		outcome = ""
	}
	if len(nameID) > gatehouse.SAMLLogNameIDLimit || !utf8.ValidString(nameID) {
		fail("A NameID is at most 1024 bytes of text.")
		nameID, d.NameID = "", ""
	}
	n, err := pageNumber(r)
	if err != nil {
		fail(gatehouse.ErrorMessage(err) + ".")
	}
	d.Outcomes = options(samlOutcomes, outcome)
	entries, more, err := h.admin().SearchSAMLLog(r.Context(), g, admin.SAMLLogSearch{
		Outcome: outcome, NameID: nameID, Offset: (n - 1) * logPerPage, Limit: logPerPage})
	if err != nil {
		return err
	}
	for _, e := range entries {
		row := samlLogRow{At: fmtTime(e.At), Outcome: e.Outcome, Reference: e.ReferenceID, NameID: e.NameID,
			Path: d.Action + "/" + e.ReferenceID, OK: passed(e.Outcome)}
		if checks, err := admin.SAMLLogChecks(e); err == nil {
			for _, c := range checks {
				if !c.OK {
					row.Failed = c.Name
				}
			}
		}
		d.Rows = append(d.Rows, row)
	}
	d.Pager = newPager(url.Values{"outcome": {outcome}, "name_id": {nameID}}, d.Action, n, more)
	return render(w, status, "samllog", page{Title: "SAML log of " + g.Name, SignedIn: u, D: d})
}

// samlEntryData is what a SAML log entry's page shows.
type samlEntryData struct {
	GroupName, GroupPath, LogPath string
	Entry                         *gatehouse.SAMLLogEntry
	At                            string
	OK                            bool
	Checks                        []saml.Check
	ChecksError                   string
}

func (h *Handler) samlLogEntry(w http.ResponseWriter, r *http.Request) error {
	g, u, ok, err := h.ownerGroup(w, r, r.URL.RequestURI())
	if !ok {
		return err
	}
	_, e, err := h.admin().FindSAMLLogEntry(r.Context(), strconv.FormatInt(g.ID, 10), r.PathValue("ref"))
	if err != nil {
		return err
	}
	d := samlEntryData{GroupName: g.Name, GroupPath: g.Path, LogPath: groupBase(g) + "saml/log", Entry: e, At: fmtTime(e.At), OK: passed(e.Outcome)}
	if d.Checks, err = admin.SAMLLogChecks(e); err != nil {
		d.ChecksError = "The checks of this entry could not be read."
	}
	return render(w, http.StatusOK, "samlentry", page{Title: "SAML response " + e.ReferenceID, SignedIn: u, D: d})
}

// scimMethods are the methods the SCIM log's filter offers.
var scimMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// scimLogRow is one entry of the SCIM request log.
type scimLogRow struct {
	*gatehouse.SCIMRequestLog
	At, Duration string
	Failed       bool
}

// scimLogData is what the SCIM request log page shows.
type scimLogData struct {
	GroupName, GroupPath, Action string
	Status, Path                 string
	Methods                      []option
	Rows                         []scimLogRow
	Pager                        pager
	Error                        string
}

func (h *Handler) scimLog(w http.ResponseWriter, r *http.Request) error {
	g, u, ok, err := h.ownerGroup(w, r, r.URL.RequestURI())
	if !ok {
		return err
	}
	q := r.URL.Query()
	method, statusText, path := strings.ToUpper(strings.TrimSpace(q.Get("method"))), strings.TrimSpace(q.Get("status")), q.Get("path")
	d := scimLogData{GroupName: g.Name, GroupPath: g.Path, Action: groupBase(g) + "scim/log", Status: statusText, Path: path}
	status := http.StatusOK
	fail := func(msg string) {
		if d.Error == "" {
			d.Error, status = msg, http.StatusBadRequest
		}
	}
	known := method == ""
	for _, m := range scimMethods {
		known = known || m == method
	}
	if !known {
		fail("Choose a method from the list.")
		method = ""
	}
	code := 0
	if statusText != "" {
		if code, err = strconv.Atoi(statusText); err != nil || code < 100 || code > 999 {
			fail("A status is a three-digit HTTP status, such as 201 or 409.")
			code, d.Status = 0, ""
		}
	}
	if len(path) > gatehouse.SCIMLogPathLimit || !utf8.ValidString(path) {
		fail("A path is at most 2048 bytes of text.")
		path, d.Path = "", ""
	}
	n, err := pageNumber(r)
	if err != nil {
		fail(gatehouse.ErrorMessage(err) + ".")
	}
	d.Methods = options(scimMethods, method)
	entries, more, err := h.admin().SearchSCIMLog(r.Context(), g, admin.SCIMLogSearch{
		Method: method, Status: code, Path: path, Offset: (n - 1) * logPerPage, Limit: logPerPage})
	if err != nil {
		return err
	}
	for _, e := range entries {
		d.Rows = append(d.Rows, scimLogRow{SCIMRequestLog: e, At: fmtTime(e.At), Duration: e.Duration.String(), Failed: e.Status >= 400})
	}
	d.Pager = newPager(url.Values{"method": {method}, "status": {d.Status}, "path": {path}}, d.Action, n, more)
	return render(w, status, "scimlog", page{Title: "SCIM request log of " + g.Name, SignedIn: u, D: d})
}
