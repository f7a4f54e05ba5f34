package gatehouse_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestSCIMGroupValidate(t *testing.T) {
	ok := gatehouse.SCIMGroup{GroupID: 1, SCIMID: "g1", DisplayName: "Engineering", ExternalID: "e"}
	tests := []struct {
		name   string
		change func(g *gatehouse.SCIMGroup)
		ok     bool
	}{
		{"OK", func(*gatehouse.SCIMGroup) {}, true},
		{"NoExternalID", func(g *gatehouse.SCIMGroup) { g.ExternalID = "" }, true},
		{"NoGroup", func(g *gatehouse.SCIMGroup) { g.GroupID = 0 }, false},
		{"NoID", func(g *gatehouse.SCIMGroup) { g.SCIMID = "" }, false},
		{"NoDisplayName", func(g *gatehouse.SCIMGroup) { g.DisplayName = "" }, false},
		{"BlankDisplayName", func(g *gatehouse.SCIMGroup) { g.DisplayName = "  " }, false},
		{"LongDisplayName", func(g *gatehouse.SCIMGroup) { g.DisplayName = strings.Repeat("a", 1025) }, false},
		{"NULInDisplayName", func(g *gatehouse.SCIMGroup) { g.DisplayName = "a\x00b" }, false},
		{"BadUTF8ExternalID", func(g *gatehouse.SCIMGroup) { g.ExternalID = "\xff" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := ok
			tt.change(&g)
			err := g.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if err != nil && gatehouse.ErrorKind(err) != gatehouse.Invalid {
				t.Errorf("Validate() kind = %v, want Invalid", gatehouse.ErrorKind(err))
			}
		})
	}
	for _, r := range []gatehouse.SCIMGroupMemberRef{{}, {SCIMID: "a\x00"}, {SCIMID: "a", Display: "\xff"}} {
		if err := r.Validate(); err == nil {
			t.Errorf("SCIMGroupMemberRef%+v.Validate() = nil, want an error", r)
		}
	}
}
