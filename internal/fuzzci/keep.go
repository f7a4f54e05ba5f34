package fuzzci

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// The bounds of a kept corpus, per target: enough inputs to start the
// fuzzer from the shapes it has found, few enough that the repository
// stays small and `go test` replays them in no time.
const (
	MaxKeptFiles = 50
	MaxKeptBytes = 200 << 10
)

// Keep copies inputs the fuzzer found interesting from cacheDir into
// corpusDir, the smallest first, while corpusDir holds fewer than
// maxFiles files and maxBytes bytes. The files are go's corpus files,
// named by their content's hash, so an input already kept is never
// copied twice, and inputs already kept are never removed (a crasher
// stays). It returns the names of the files it copied.
func Keep(cacheDir, corpusDir string, maxFiles int, maxBytes int64) ([]string, error) {
	type input struct {
		name string
		size int64
	}
	list := func(dir string) ([]input, error) {
		entries, err := os.ReadDir(dir)
		if os.IsNotExist(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var in []input
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, err
			}
			in = append(in, input{e.Name(), info.Size()})
		}
		return in, nil
	}
	kept, err := list(corpusDir)
	if err != nil {
		return nil, err
	}
	found, err := list(cacheDir)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	files, bytes := len(kept), int64(0)
	for _, k := range kept {
		have[k.name] = true
		bytes += k.size
	}
	slices.SortFunc(found, func(a, b input) int {
		return cmp.Or(cmp.Compare(a.size, b.size), cmp.Compare(a.name, b.name))
	})
	var copied []string
	for _, in := range found {
		if have[in.name] {
			continue
		}
		if files+1 > maxFiles || bytes+in.size > maxBytes {
			break
		}
		b, err := os.ReadFile(filepath.Join(cacheDir, in.name))
		if err != nil {
			return copied, err
		}
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			return copied, err
		}
		if err := os.WriteFile(filepath.Join(corpusDir, in.name), b, 0o644); err != nil {
			return copied, fmt.Errorf("fuzzci: keep %s: %w", in.name, err)
		}
		copied = append(copied, in.name)
		files++
		bytes += in.size
	}
	return copied, nil
}
