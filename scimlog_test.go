package gatehouse

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func validSCIMLog() *SCIMRequestLog {
	return &SCIMRequestLog{GroupID: 1, Method: "GET", Path: "/Users", Status: 200, Operation: "list_users"}
}

func TestSCIMRequestLogValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *SCIMRequestLog)
		ok     bool
	}{
		{"valid", func(e *SCIMRequestLog) {}, true},
		{"body at the limit", func(e *SCIMRequestLog) { e.ResponseBody = strings.Repeat("a", SCIMLogBodyLimit) }, true},
		{"client closed", func(e *SCIMRequestLog) { e.Status = 499 }, true},
		{"no group", func(e *SCIMRequestLog) { e.GroupID = 0 }, false},
		{"no method", func(e *SCIMRequestLog) { e.Method = "" }, false},
		{"status 99", func(e *SCIMRequestLog) { e.Status = 99 }, false},
		{"negative duration", func(e *SCIMRequestLog) { e.Duration = -1 }, false},
		{"body over the limit", func(e *SCIMRequestLog) { e.RequestBody = strings.Repeat("a", SCIMLogBodyLimit+1) }, false},
		{"long user agent", func(e *SCIMRequestLog) { e.UserAgent = strings.Repeat("a", SCIMLogUserAgentLimit+1) }, false},
		{"invalid UTF-8", func(e *SCIMRequestLog) { e.Note = "\xff" }, false},
		{"NUL", func(e *SCIMRequestLog) { e.Path = "/Users\x00" }, false},
	}
	for _, tt := range tests {
		e := validSCIMLog()
		tt.change(e)
		if err := e.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		} else if err != nil && ErrorKind(err) != Invalid {
			t.Errorf("%s: Validate() = %v, want kind Invalid", tt.name, err)
		}
	}
}

func TestSCIMRequestLogClamp(t *testing.T) {
	e := validSCIMLog()
	e.Method = strings.Repeat("M", 200)
	e.Path = "/" + strings.Repeat("é", SCIMLogPathLimit)
	e.RequestBody = strings.Repeat("b", 3*SCIMLogBodyLimit)
	e.ResponseBody = "bad \xff\x00 bytes"
	e.UserAgent = strings.Repeat("ü", SCIMLogUserAgentLimit)
	e.Clamp()
	if err := e.Validate(); err != nil {
		t.Fatalf("Validate() after Clamp() = %v", err)
	}
	if got, want := e.ResponseBody, "bad \uFFFD\uFFFD bytes"; got != want {
		t.Errorf("Clamp() ResponseBody = %q, want %q", got, want)
	}
	if want := "…[truncated 16410 bytes]"; !strings.HasSuffix(e.RequestBody, want) || len(e.RequestBody) != SCIMLogBodyLimit {
		t.Errorf("Clamp() RequestBody = %d bytes ending …%q, want %d ending %q",
			len(e.RequestBody), e.RequestBody[len(e.RequestBody)-30:], SCIMLogBodyLimit, want)
	}
	if len(e.Path) > SCIMLogPathLimit || !utf8.ValidString(e.Path) || len(e.UserAgent) > SCIMLogUserAgentLimit {
		t.Errorf("Clamp() left Path %d bytes, UserAgent %d bytes, want them cut at a character within the limits", len(e.Path), len(e.UserAgent))
	}
	before := *e
	e.Clamp()
	if *e != before {
		t.Errorf("Clamp() of a clamped entry changed it")
	}
}

func TestClampSCIMLogBody(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		omitted int
		want    string
	}{
		{"short", `{"a":1}`, 0, `{"a":1}`},
		{"short, rest not captured", `{"a":1}`, 10, `{"a":1}…[truncated 10 bytes]`},
		{"negative omitted", `x`, -3, `x`},
		{"empty, all omitted", ``, 5, `…[truncated 5 bytes]`},
	}
	for _, tt := range tests {
		if got := ClampSCIMLogBody(tt.in, tt.omitted); got != tt.want {
			t.Errorf("%s: ClampSCIMLogBody(%q, %d) = %q, want %q", tt.name, tt.in, tt.omitted, got, tt.want)
		}
	}
	// A body whose marker needs one more digit once cut still fits.
	for n := SCIMLogBodyLimit - 30; n <= SCIMLogBodyLimit+30; n++ {
		got := ClampSCIMLogBody(strings.Repeat("€", n/3+1)[:n/3*3], 9000)
		if len(got) > SCIMLogBodyLimit || !utf8.ValidString(got) {
			t.Fatalf("ClampSCIMLogBody(%d bytes, 9000) = %d bytes (valid %v), want at most %d of valid UTF-8",
				n/3*3, len(got), utf8.ValidString(got), SCIMLogBodyLimit)
		}
	}
}
