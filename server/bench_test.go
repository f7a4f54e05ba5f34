package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServeHTTP measures what the middleware adds to every request.
func BenchmarkServeHTTP(b *testing.B) {
	s, err := New(Config{DB: &fakeDB{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	s.HandleFunc("GET /api/v4/groups/{id}/members", func(w http.ResponseWriter, r *http.Request) error {
		io.WriteString(w, "[]")
		return nil
	})
	r := httptest.NewRequest("GET", "/api/v4/groups/7/members", nil)
	b.ReportAllocs()
	for b.Loop() {
		s.ServeHTTP(httptest.NewRecorder(), r)
	}
}
