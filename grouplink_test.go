package gatehouse

import (
	"strings"
	"testing"
)

func TestEffectiveRole(t *testing.T) {
	role := func(r Role) *Role { return &r }
	tests := []struct {
		name   string
		def    Role
		direct *Role
		links  []Role
		want   Role
	}{
		{"no links", Guest, nil, nil, Guest},
		{"one link", Guest, nil, []Role{Developer}, Developer},
		{"highest of two", Guest, nil, []Role{Reporter, Maintainer}, Maintainer},
		{"never below default", Developer, nil, []Role{Guest}, Developer},
		{"direct wins over links", Guest, role(Reporter), []Role{Owner}, Reporter},
		{"direct below default", Developer, role(Guest), nil, Guest},
		{"link to owner", Guest, nil, []Role{Owner}, Owner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EffectiveRole(tc.def, tc.direct, tc.links); got != tc.want {
				t.Errorf("EffectiveRole(%v, %v, %v) = %v, want %v", tc.def, tc.direct, tc.links, got, tc.want)
			}
		})
	}
}

func TestGroupLinkValidate(t *testing.T) {
	tests := []struct {
		name string
		l    GroupLink
		ok   bool
	}{
		{"ok", GroupLink{GroupID: 1, IdPGroup: "Engineering", Role: Developer}, true},
		{"entra object id", GroupLink{GroupID: 1, IdPGroup: "0b8c3f7e-6d8c-4a1e-9b1e-2f1d5c6a7b8c", Role: Guest}, true},
		{"no group", GroupLink{IdPGroup: "x", Role: Guest}, false},
		{"blank name", GroupLink{GroupID: 1, IdPGroup: "  ", Role: Guest}, false},
		{"control character", GroupLink{GroupID: 1, IdPGroup: "a\nb", Role: Guest}, false},
		{"too long", GroupLink{GroupID: 1, IdPGroup: strings.Repeat("a", MaxIdPGroupLen+1), Role: Guest}, false},
		{"bad role", GroupLink{GroupID: 1, IdPGroup: "x", Role: 7}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.l.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate(%+v) = %v, want ok %v", tc.l, err, tc.ok)
			}
		})
	}
}
