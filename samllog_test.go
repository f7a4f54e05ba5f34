package gatehouse

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func validSAMLLog() *SAMLLogEntry {
	return &SAMLLogEntry{GroupID: 1, Outcome: "refused", ReferenceID: "r-0123_ABC"}
}

func TestSAMLLogEntryValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *SAMLLogEntry)
		ok     bool
	}{
		{"valid", func(e *SAMLLogEntry) {}, true},
		{"every field", func(e *SAMLLogEntry) {
			e.NameID, e.RequestID, e.Response = "alice@idp", "_abc", "<samlp:Response/>"
			e.Checks, e.ClientIP, e.UserAgent = []byte(`[{"check":"signature","ok":true}]`), "192.0.2.1", "Firefox"
		}, true},
		{"response at the limit", func(e *SAMLLogEntry) { e.Response = strings.Repeat("a", SAMLLogResponseLimit) }, true},
		{"no group", func(e *SAMLLogEntry) { e.GroupID = 0 }, false},
		{"no outcome", func(e *SAMLLogEntry) { e.Outcome = "" }, false},
		{"outcome with a space", func(e *SAMLLogEntry) { e.Outcome = "signed in" }, false},
		{"long outcome", func(e *SAMLLogEntry) { e.Outcome = strings.Repeat("o", SAMLLogTokenLimit+1) }, false},
		{"no reference", func(e *SAMLLogEntry) { e.ReferenceID = "" }, false},
		{"reference with a slash", func(e *SAMLLogEntry) { e.ReferenceID = "a/b" }, false},
		{"long reference", func(e *SAMLLogEntry) { e.ReferenceID = strings.Repeat("r", SAMLLogTokenLimit+1) }, false},
		{"response over the limit", func(e *SAMLLogEntry) { e.Response = strings.Repeat("a", SAMLLogResponseLimit+1) }, false},
		{"long NameID", func(e *SAMLLogEntry) { e.NameID = strings.Repeat("n", SAMLLogNameIDLimit+1) }, false},
		{"long user agent", func(e *SAMLLogEntry) { e.UserAgent = strings.Repeat("a", SAMLLogUserAgentLimit+1) }, false},
		{"invalid UTF-8", func(e *SAMLLogEntry) { e.NameID = "\xff" }, false},
		{"NUL", func(e *SAMLLogEntry) { e.Response = "<a>\x00</a>" }, false},
		{"checks not JSON", func(e *SAMLLogEntry) { e.Checks = []byte(`{`) }, false},
		{"checks with NUL", func(e *SAMLLogEntry) { e.Checks = []byte(`["\u0000"]`) }, false},
		{"checks too large", func(e *SAMLLogEntry) {
			e.Checks = []byte(`"` + strings.Repeat("x", SAMLLogChecksLimit) + `"`)
		}, false},
	}
	for _, tt := range tests {
		e := validSAMLLog()
		tt.change(e)
		checkValidate(t, tt.name, e.Validate(), tt.ok)
	}
}

func TestSAMLLogEntryClamp(t *testing.T) {
	e := validSAMLLog()
	e.NameID = strings.Repeat("é", SAMLLogNameIDLimit)
	e.RequestID = "bad \xff\x00 id"
	e.Response = strings.Repeat("<a/>", SAMLLogResponseLimit)
	e.ClientIP = strings.Repeat("1", 300)
	e.UserAgent = strings.Repeat("ü", SAMLLogUserAgentLimit)
	e.Clamp()
	if err := e.Validate(); err != nil {
		t.Fatalf("Validate() after Clamp() = %v", err)
	}
	if got, want := e.RequestID, "bad \uFFFD\uFFFD id"; got != want {
		t.Errorf("Clamp() RequestID = %q, want %q", got, want)
	}
	if want := "…[truncated 49178 bytes]"; !strings.HasSuffix(e.Response, want) || len(e.Response) != SAMLLogResponseLimit {
		t.Errorf("Clamp() Response = %d bytes ending …%q, want %d ending %q",
			len(e.Response), e.Response[len(e.Response)-30:], SAMLLogResponseLimit, want)
	}
	if len(e.NameID) > SAMLLogNameIDLimit || !utf8.ValidString(e.NameID) || len(e.ClientIP) != SAMLLogFieldLimit {
		t.Errorf("Clamp() left NameID %d bytes, ClientIP %d bytes, want them cut at a character within the limits", len(e.NameID), len(e.ClientIP))
	}
	before := *e
	e.Clamp()
	if e.Response != before.Response || e.NameID != before.NameID || e.UserAgent != before.UserAgent {
		t.Errorf("Clamp() of a clamped entry changed it")
	}

	// The server's own fields are left for Validate to refuse.
	e = validSAMLLog()
	e.Outcome = "Signed In"
	e.Clamp()
	if e.Outcome != "Signed In" {
		t.Errorf("Clamp() Outcome = %q, want it unchanged", e.Outcome)
	}
}

func TestValidSAMLLogReference(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Ab-0_9", true},
		{strings.Repeat("a", SAMLLogTokenLimit), true},
		{"", false},
		{strings.Repeat("a", SAMLLogTokenLimit+1), false},
		{"a b", false},
		{"é", false},
		{"a%", false},
	}
	for _, tt := range tests {
		if got := ValidSAMLLogReference(tt.in); got != tt.want {
			t.Errorf("ValidSAMLLogReference(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
