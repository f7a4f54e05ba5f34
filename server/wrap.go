package server

import "net/http"

// Wrap puts mw around everything the server serves, outside its own
// middleware, so that mw sees every request and can wrap every response
// writer (serve --demo marks each page as a demo's this way). Call it
// before Run or Serve, never while serving.
func (s *Server) Wrap(mw func(http.Handler) http.Handler) {
	s.handler = mw(s.handler)
}
