package web

import (
	"embed"
	"net/http"
)

// assetFS holds the few static files the pages use: the copy buttons'
// script, which only enhances pages that work without it.
//
//go:embed assets/*.js
var assetFS embed.FS

// assetsPath is where the static files are served; the layout links them
// and the Content-Security-Policy allows scripts from this origin only.
const assetsPath = "/-/assets/"

// asset serves one embedded file. They change only with the binary, so a
// browser may keep them for a day.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) error {
	b, err := assetFS.ReadFile("assets/" + r.PathValue("name"))
	if err != nil {
		http.NotFound(w, r)
		return nil
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(b)
	return err
}
