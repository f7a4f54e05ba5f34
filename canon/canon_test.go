package canon_test

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse/canon"
)

func TestKey(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"ascii case", "Alice@Example.COM", "alice@example.com", true},
		{"umlaut case", "ÜNAL@example.com", "ünal@example.com", true},
		{"decomposed umlaut", "u\u0308nal@example.com", "ÜNAL@example.com", true},
		{"sharp s folds to ss", "straße", "STRASSE", true},
		{"greek sigma forms", "ΣΊΣΥΦΟΣ", "σίσυφος", true},
		{"kelvin sign", "\u212Aelvin", "kelvin", true},
		{"different letters", "alice", "alicia", false},
		{"dot matters", "acme.corp", "acme-corp", false},
		{"accent matters", "unal", "ünal", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := canon.Key(tt.a), canon.Key(tt.b)
			if got := ka == kb; got != tt.same {
				t.Errorf("Key(%q) = %q, Key(%q) = %q; equal = %v, want %v", tt.a, ka, tt.b, kb, got, tt.same)
			}
		})
	}
}

func TestKeyIdempotent(t *testing.T) {
	for _, s := range []string{"ÜNAL", "straße", "ΣΊΣΥΦΟΣ", "u\u0308", "ǅ", "İstanbul"} {
		if k := canon.Key(s); canon.Key(k) != k {
			t.Errorf("Key(Key(%q)) = %q, want %q", s, canon.Key(k), k)
		}
	}
}

func BenchmarkKey(b *testing.B) {
	for b.Loop() {
		canon.Key("Ünal.Öztürk@Example.COM")
	}
}
