package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A step is one request and the response expected for it, read from one
// fixture file.
type step struct {
	file string // the path the fixture was read from, for messages

	method string
	target template     // path (relative to the base) or absolute URL, with its raw query
	header []headerLine // in the order written
	body   template     // sent verbatim once variables are expanded

	statuses   []int        // any of these is accepted
	wantHeader []headerLine // each must be present (or, for {{absent}}, absent)
	wantText   string       // the expected body as written, for messages
	wantEmpty  bool         // the body must be empty
	wantAny    bool         // the expected body is {{any}}: anything goes
	want       any          // the decoded expected JSON otherwise
}

type headerLine struct {
	name  string
	value template
}

var (
	methodRE     = regexp.MustCompile(`^[A-Z]+$`)
	headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// parse reads one fixture; file names it in error messages.
func parse(file string, data []byte) (*step, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(text, "\n")
	s := &step{file: file}
	i := 0
	errorf := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, i+1, fmt.Sprintf(format, args...))
	}

	// Comments and blank lines, then the request line.
	for i < len(lines) && (strings.TrimSpace(lines[i]) == "" || strings.HasPrefix(lines[i], "#")) {
		i++
	}
	if i == len(lines) {
		return nil, fmt.Errorf("%s: no request line", file)
	}
	f := strings.Fields(lines[i])
	if len(f) != 2 || !methodRE.MatchString(f[0]) {
		return nil, errorf("request line %q: want METHOD TARGET with no spaces in TARGET (encode them as + or %%20, as IdPs do)", lines[i])
	}
	s.method = f[0]
	t, err := parseTemplate(f[1])
	if err == nil {
		err = t.checkRequest()
	}
	if err != nil {
		return nil, errorf("request target: %v", err)
	}
	s.target = t
	i++

	// Request headers, up to a blank line or the response line.
	s.header, err = parseHeaders(lines, &i, errorf, false)
	if err != nil {
		return nil, err
	}

	// The request body, up to the response line.
	start := i
	for i < len(lines) && !strings.HasPrefix(lines[i], "===") {
		i++
	}
	if i == len(lines) {
		return nil, fmt.Errorf("%s: no response line: want \"=== STATUS\" after the request", file)
	}
	body := strings.TrimRight(strings.Join(lines[start:i], "\n"), " \t\n")
	if s.body, err = parseTemplate(body); err == nil {
		err = s.body.checkRequest()
	}
	if err != nil {
		return nil, fmt.Errorf("%s:%d: request body: %v", file, start+1, err)
	}

	// The response line: "=== 201" or "=== 200|204".
	for _, code := range strings.Split(strings.TrimSpace(strings.TrimPrefix(lines[i], "===")), "|") {
		n, err := strconv.Atoi(strings.TrimSpace(code))
		if err != nil || n < 100 || n > 599 {
			return nil, errorf("response line %q: want \"=== STATUS\" or \"=== STATUS|STATUS\"", lines[i])
		}
		s.statuses = append(s.statuses, n)
	}
	i++

	// Expected headers, then the expected body to the end of the file.
	if s.wantHeader, err = parseHeaders(lines, &i, errorf, true); err != nil {
		return nil, err
	}
	start = i
	s.wantText = strings.TrimSpace(strings.Join(lines[min(start, len(lines)):], "\n"))
	switch s.wantText {
	case "":
		s.wantEmpty = true
		return s, nil
	case "{{any}}":
		s.wantAny = true
		return s, nil
	}
	d := json.NewDecoder(strings.NewReader(s.wantText))
	d.UseNumber()
	if err := d.Decode(&s.want); err != nil {
		return nil, fmt.Errorf("%s:%d: expected body is not JSON (placeholders go inside strings): %v", file, start+1, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%s:%d: expected body holds more than one JSON value", file, start+1)
	}
	if err := checkWant(s.want, "$", false); err != nil {
		return nil, fmt.Errorf("%s:%d: expected body: %v", file, start+1, err)
	}
	return s, nil
}

// parseHeaders reads "Name: value" lines from lines[*i] up to a blank line
// (which it consumes), a response line, or the end. Lines starting with #
// are comments.
func parseHeaders(lines []string, i *int, errorf func(string, ...any) error, expected bool) ([]headerLine, error) {
	var hs []headerLine
	for ; *i < len(lines); *i++ {
		l := lines[*i]
		switch {
		case strings.TrimSpace(l) == "":
			*i++
			return hs, nil
		case strings.HasPrefix(l, "#"):
			continue
		case strings.HasPrefix(l, "==="):
			if expected {
				return nil, errorf("a second response line")
			}
			return hs, nil
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !headerNameRE.MatchString(name) {
			return nil, errorf("header line %q: want \"Name: value\" (a blank line ends the headers)", l)
		}
		t, err := parseTemplate(strings.TrimSpace(value))
		if err == nil {
			if expected {
				err = t.checkExpected()
			} else {
				err = t.checkRequest()
			}
		}
		if err != nil {
			return nil, errorf("header %s: %v", name, err)
		}
		hs = append(hs, headerLine{name: name, value: t})
	}
	return hs, nil
}

// checkWant validates the placeholders and markers of an expected JSON
// value before any request is sent.
func checkWant(v any, path string, member bool) error {
	switch v := v.(type) {
	case string:
		t, err := parseTemplate(v)
		if err == nil {
			err = t.checkExpected()
		}
		if err == nil && t.isAbsent() && !member {
			err = fmt.Errorf("{{absent}} is only allowed as the value of an object member")
		}
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
	case map[string]any:
		for k, e := range v {
			if err := checkWant(e, childPath(path, k), true); err != nil {
				return err
			}
		}
	case []any:
		for n, e := range v {
			if e == ellipsis && n != len(v)-1 {
				return fmt.Errorf("%s[%d]: %q is only allowed as the last element", path, n, ellipsis)
			}
			if err := checkWant(e, fmt.Sprintf("%s[%d]", path, n), false); err != nil {
				return err
			}
		}
	}
	return nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// childPath returns the path of member k of the object at path, as in
// $.name.givenName or $["urn:…:User"].employeeNumber.
func childPath(path, k string) string {
	if identRE.MatchString(k) {
		return path + "." + k
	}
	return path + "[" + strconv.Quote(k) + "]"
}

// compact returns v as one-line JSON, cut to at most n bytes.
func compact(v any, n int) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return truncate(strings.TrimSpace(b.String()), n)
}

// truncate cuts s to at most n bytes (on a rune boundary) and says how
// much it left out.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", s[:cut], len(s)-cut)
}
