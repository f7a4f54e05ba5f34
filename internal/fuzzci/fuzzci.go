// Package fuzzci finds every fuzz target of the module and keeps its
// corpus, for the test that fuzzes them all in CI (TestFuzzTargets).
//
// A fuzz target is found by reading the module's _test.go files with
// go/parser, never from a list, so that a new target is fuzzed in CI the
// day it is written. The inputs worth keeping live in each package's
// testdata/fuzz/FuzzX/ directory, in go's own format, where `go test`
// replays them on every run; Keep copies a bounded number of them from
// the fuzz cache.
package fuzzci

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Target is one fuzz target: a func FuzzX(*testing.F) in a _test.go file.
type Target struct {
	Dir        string // the package's directory, relative to the module root, slash-separated ("." for the root)
	ImportPath string // the package's import path
	Package    string // the package name, without _test
	Name       string // FuzzX
	File       string // the file it is declared in, relative to the module root
}

// ID names the target in subtests: package name and function, as
// "scimpatch.FuzzApply".
func (t Target) ID() string { return t.Package + "." + t.Name }

// Pattern is the -fuzz pattern that selects exactly this target.
func (t Target) Pattern() string { return "^" + t.Name + "$" }

// PackageArg is the package argument for go test, run from the module
// root ("./scim/scimpatch").
func (t Target) PackageArg() string {
	if t.Dir == "." {
		return "."
	}
	return "./" + t.Dir
}

// CorpusDir is where go test reads the kept inputs of the target from,
// and writes the inputs that fail, relative to the module root.
func (t Target) CorpusDir() string {
	return filepath.Join(filepath.FromSlash(t.Dir), "testdata", "fuzz", t.Name)
}

// CacheDir is where the fuzzer keeps the inputs it found interesting,
// under the build cache gocache (go env GOCACHE).
func (t Target) CacheDir(gocache string) string {
	return filepath.Join(gocache, "fuzz", filepath.FromSlash(t.ImportPath), t.Name)
}

// Discover returns the fuzz targets of the module rooted at root, sorted
// by directory and name. It reads every _test.go file that the go command
// would build on this platform with the default build tags, skipping what
// the go command skips: testdata, vendor, directories starting with . or
// _, and nested modules.
func Discover(root string) ([]Target, error) {
	modPath, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	var targets []Target
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p == root {
				return nil
			}
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		dir := filepath.Dir(p)
		if ok, err := build.Default.MatchFile(dir, name); err != nil || !ok {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		file, _ := filepath.Rel(root, p)
		for _, fn := range fuzzFuncs(f) {
			ip := modPath
			if rel != "." {
				ip = path.Join(modPath, rel)
			}
			targets = append(targets, Target{Dir: rel, ImportPath: ip, Package: strings.TrimSuffix(f.Name.Name, "_test"),
				Name: fn, File: filepath.ToSlash(file)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fuzzci: discover fuzz targets: %w", err)
	}
	slices.SortFunc(targets, func(a, b Target) int {
		return strings.Compare(a.Dir+"\x00"+a.Name, b.Dir+"\x00"+b.Name)
	})
	return targets, nil
}

// fuzzFuncs returns the names of f's fuzz targets: top-level functions
// (not methods) named Fuzz followed by nothing or a character that is not
// a lower-case letter, with one parameter of type *testing.F, as the
// testing package requires.
func fuzzFuncs(f *ast.File) []string {
	testing := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "testing" {
			testing = "testing"
			if imp.Name != nil {
				testing = imp.Name.Name
			}
		}
	}
	if testing == "" || testing == "_" {
		return nil
	}
	var names []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Type.TypeParams != nil || !isFuzzName(fn.Name.Name) {
			continue
		}
		params := fn.Type.Params.List
		if len(params) != 1 || len(params[0].Names) > 1 || fn.Type.Results != nil {
			continue
		}
		star, ok := params[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		if isTestingF(star.X, testing) {
			names = append(names, fn.Name.Name)
		}
	}
	return names
}

// isTestingF reports whether x is testing.F, where the file imports the
// testing package as testing (its name, or "." for a dot import).
func isTestingF(x ast.Expr, testing string) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return testing == "." && x.Name == "F"
	case *ast.SelectorExpr:
		pkg, ok := x.X.(*ast.Ident)
		return ok && pkg.Name == testing && x.Sel.Name == "F"
	}
	return false
}

// isFuzzName reports whether name is a fuzz target's name for go test:
// "Fuzz", or "Fuzz" then a character that is not a lower-case letter.
func isFuzzName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Fuzz")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// modulePath reads the module path from a go.mod file.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			p := strings.TrimSpace(rest)
			if u, err := strconv.Unquote(p); err == nil {
				p = u
			}
			if p != "" {
				return p, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("fuzzci: no module line in %s", gomod)
}
