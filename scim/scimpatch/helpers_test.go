package scimpatch_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/google/go-cmp/cmp"
)

// patchCase is one request body applied to one document.
type patchCase struct {
	name string
	doc  string // the document before, as JSON
	body string // the PatchOp request body
	want string // the document after, as JSON; unused when err is set
	err  string // the scimType of the expected error
	// detail lists substrings the error's detail must contain.
	detail []string
}

// mustDoc decodes a JSON document the way ParseRequest decodes values
// (numbers as json.Number).
func mustDoc(t testing.TB, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test document %s: %v", s, err)
	}
	return m
}

func runCases(t *testing.T, cases []patchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := scimpatch.ParseRequest([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParseRequest(%s) error = %v", tc.body, err)
			}
			opsBefore, _ := scimpatch.ParseRequest([]byte(tc.body))
			doc := mustDoc(t, tc.doc)
			got, err := scimpatch.Apply(doc, ops)
			if diff := cmp.Diff(mustDoc(t, tc.doc), doc); diff != "" {
				t.Errorf("Apply modified its input document (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(opsBefore, ops); diff != "" {
				t.Errorf("Apply modified its operations (-before +after):\n%s", diff)
			}
			if tc.err != "" {
				checkErr(t, err, tc.err, tc.detail...)
				if got != nil {
					t.Errorf("Apply() = %v with an error, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply() error = %v", err)
			}
			if diff := cmp.Diff(mustDoc(t, tc.want), got); diff != "" {
				t.Errorf("Apply() document mismatch (-want +got):\n%s", diff)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal(Apply()) error = %v", err)
			}
		})
	}
}

// checkErr asserts err is a 400 *scim.Error of scimType whose detail holds
// each of parts.
func checkErr(t testing.TB, err error, scimType string, parts ...string) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want a *scim.Error %s", err, err, scimType)
	}
	if se.Status != http.StatusBadRequest || se.ScimType != scimType {
		t.Errorf("error = %d %s, want 400 %s (detail %q)", se.Status, se.ScimType, scimType, se.Detail)
	}
	for _, p := range parts {
		if !strings.Contains(se.Detail, p) {
			t.Errorf("error detail %q does not contain %q", se.Detail, p)
		}
	}
}
