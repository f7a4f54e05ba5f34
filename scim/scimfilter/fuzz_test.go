package scimfilter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// a 400 invalidFilter *scim.Error, and that what it accepts renders (String)
// to a filter that parses back to the same value, unless the rendering
// crosses a limit (eq null renders as not (x pr), one level deeper).
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	for _, tt := range errorTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := scimfilter.Parse(in)
		if err != nil {
			checkInvalidFilter(t, in, err)
			return
		}
		if got == nil {
			if strings.TrimLeft(in, " \t\r\n") != "" {
				t.Errorf("Parse(%q) = nil, nil; want a filter or an error", in)
			}
			return
		}
		s := got.String()
		again, err := scimfilter.Parse(s)
		if err != nil {
			var se *scim.Error
			if errors.As(err, &se) && (strings.Contains(se.Detail, "nested deeper") || strings.Contains(se.Detail, "longer than")) {
				return
			}
			t.Fatalf("Parse(%q) = %v; Parse(its String %q) = %v, want the same filter", in, got, s, err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("Parse(%q).String() = %q, which parses to another filter (-first +second):\n%s", in, s, diff)
		}
	})
}

// checkInvalidFilter reports unless err is a 400 invalidFilter *scim.Error
// with a detail.
func checkInvalidFilter(t *testing.T, in string, err error) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidFilter || se.Detail == "" {
		t.Errorf("Parse(%q) = %#v, want a *scim.Error 400 invalidFilter with a detail", in, err)
	}
}
