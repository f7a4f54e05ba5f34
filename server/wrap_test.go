package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrap(t *testing.T) {
	srv, err := New(Config{DB: &fakeDB{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Wrapped", "yes")
			next.ServeHTTP(w, r)
		})
	})
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/-/health", nil))
	if got := w.Header().Get("X-Wrapped"); got != "yes" || w.Code != http.StatusOK {
		t.Errorf("GET /-/health after Wrap = %d, X-Wrapped %q; want 200 and the wrapper's header", w.Code, got)
	}
}
