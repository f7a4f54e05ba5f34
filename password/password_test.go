package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/password"
)

// fast keeps the tests quick; the encoding and comparison are the same.
var fast = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h := password.Hash("correct horse battery", fast)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("Hash() = %q, want an argon2id PHC string", h)
	}
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"right", "correct horse battery", true},
		{"wrong", "correct horse batterY", false},
		{"empty", "", false},
		{"too long", strings.Repeat("x", password.MaxLength+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := password.Verify(h, tt.pw)
			if err != nil || got != tt.want {
				t.Errorf("Verify(hash, %q) = %v, %v, want %v, nil", tt.pw, got, err, tt.want)
			}
		})
	}
	if h2 := password.Hash("correct horse battery", fast); h2 == h {
		t.Errorf("Hash twice gave the same string %q; salts must differ", h)
	}
}

func TestDefaultParams(t *testing.T) {
	h := password.Hash("s3cret-passw0rd", password.DefaultParams)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("Hash(DefaultParams) = %q", h)
	}
	if ok, err := password.Verify(h, "s3cret-passw0rd"); !ok || err != nil {
		t.Errorf("Verify = %v, %v, want true, nil", ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, h := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if ok, err := password.Verify(h, "x"); ok || !errors.Is(err, password.ErrMalformedHash) {
			t.Errorf("Verify(%q) = %v, %v, want false, ErrMalformedHash", h, ok, err)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"short", false},
		{"eight888", true},
		{"ünicode-pässwörd", true},
		{strings.Repeat("a", password.MaxLength), true},
		{strings.Repeat("a", password.MaxLength+1), false},
		{"bad\xffutf8-xx", false},
	}
	for _, tt := range tests {
		if err := password.Check(tt.pw); (err == nil) != tt.ok {
			t.Errorf("Check(%.20q) = %v, want ok=%v", tt.pw, err, tt.ok)
		}
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := password.Generate()
		if len(p) != 24 || password.Check(p) != nil || seen[p] {
			t.Fatalf("Generate() = %q: wrong length, invalid or repeated", p)
		}
		if strings.ContainsAny(p, "0O1lI") {
			t.Errorf("Generate() = %q contains a look-alike character", p)
		}
		seen[p] = true
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		password.Hash("correct horse battery", password.DefaultParams)
	}
}
