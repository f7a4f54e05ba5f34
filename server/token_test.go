package server_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-sso/gatehouse/server"
)

func TestAccessToken(t *testing.T) {
	for _, tc := range []struct {
		name      string
		header    []string
		token     string
		wellShown bool
	}{
		{"none", nil, "", true},
		{"PRIVATE-TOKEN", []string{"PRIVATE-TOKEN", "gth_pat_x"}, "gth_pat_x", true},
		{"Bearer", []string{"Authorization", "Bearer gth_pat_y"}, "gth_pat_y", true},
		{"bearer in lower case, padded", []string{"Authorization", "bearer   gth_pat_z "}, "gth_pat_z", true},
		{"PRIVATE-TOKEN wins", []string{"PRIVATE-TOKEN", "gth_pat_a", "Authorization", "Basic eDp5"}, "gth_pat_a", true},
		{"Basic", []string{"Authorization", "Basic eDp5"}, "", false},
		{"scheme alone", []string{"Authorization", "Bearer"}, "", false},
		{"empty Bearer", []string{"Authorization", "Bearer "}, "", true},
	} {
		r := httptest.NewRequest("GET", "/api/v4/user", nil)
		for i := 0; i+1 < len(tc.header); i += 2 {
			r.Header.Set(tc.header[i], tc.header[i+1])
		}
		token, ok := server.AccessToken(r)
		if token != tc.token || ok != tc.wellShown {
			t.Errorf("%s: AccessToken() = %q, %v; want %q, %v", tc.name, token, ok, tc.token, tc.wellShown)
		}
	}
}
