package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// assets serves the embedded static files under content-hashed URLs
// (/static/<hash>/<path>). A new build changes the hash of a changed file,
// so browsers may cache every URL forever.
type assets struct {
	files map[string]asset // by path relative to static/
}

type asset struct {
	data []byte
	hash string
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.files[strings.TrimPrefix(p, "static/")] = asset{data: b, hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load static assets: %w", err)
	}
	return a, nil
}

// url returns the hashed URL of an asset. An unknown name is an error so a
// typo in a template fails at parse-and-render time in tests, not silently.
func (a *assets) url(name string) (string, error) {
	f, ok := a.files[name]
	if !ok {
		return "", fmt.Errorf("web: unknown static asset %q", name)
	}
	return "/static/" + f.hash + "/" + name, nil
}

// startTime is the Last-Modified of every asset: embedded files carry no
// modification time, and content hashes make revalidation rare anyway.
var startTime = time.Now()

// serveStatic answers GET /static/{hash}/{path...}.
func (s *server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets.files[r.PathValue("path")]
	if !ok || f.hash != r.PathValue("hash") {
		// An old hash after an upgrade is a 404 rather than the new file
		// under an old URL, which a browser would then cache forever.
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, r.PathValue("path"), startTime, bytes.NewReader(f.data))
}
