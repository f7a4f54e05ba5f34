package instancekey

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

var (
	secret  = []byte(strings.Repeat("s", 40) + "\n")
	another = []byte(strings.Repeat("t", 40))
)

func backends(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	opens := map[string]func(testing.TB) store.Store{"sqlite": sqlitestoretest.Open, "postgres": pgstoretest.Open}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { fn(t, opens[name](t)) })
	}
}

// signs checks that kp's key signs and its certificate verifies.
func signs(t *testing.T, kp KeyPair) {
	t.Helper()
	sum := sha256.Sum256([]byte("hello"))
	sig, err := kp.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if err := rsa.VerifyPKCS1v15(kp.Certificate.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("the certificate does not verify the key's signature: %v", err)
	}
}

func stored(t *testing.T, s store.Store) *gatehouse.InstanceKey {
	t.Helper()
	// EnsureInstanceKey returns the stored key; the one offered is dropped.
	k, _, err := generateFast()
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.EnsureInstanceKey(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// generateFast is a valid stand-in offered to EnsureInstanceKey to read
// the stored key; it never lands because a key is stored already.
func generateFast() (*gatehouse.InstanceKey, KeyPair, error) {
	return &gatehouse.InstanceKey{
		Name:           gatehouse.SAMLSPKeyName,
		PrivateKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}),
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}),
	}, KeyPair{}, nil
}

func TestLoadSealed(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		first, err := Load(ctx, s, secret)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		signs(t, first)
		c := first.Certificate
		if c.Subject.CommonName != Subject || first.Key.Public().(*rsa.PublicKey).N.BitLen() != RSABits {
			t.Errorf("certificate subject %q, key %d bits; want %q, %d", c.Subject.CommonName, first.Key.Public().(*rsa.PublicKey).N.BitLen(), Subject, RSABits)
		}
		if d := c.NotAfter.Sub(c.NotBefore); d < Validity || d > Validity+2*time.Hour {
			t.Errorf("certificate valid for %s, want about %s", d, Validity)
		}
		k := stored(t, s)
		if !k.Encrypted || strings.Contains(string(k.PrivateKeyPEM), "BEGIN PRIVATE KEY") {
			t.Errorf("stored key = %q (encrypted %v), want it sealed", k.PrivateKeyPEM[:40], k.Encrypted)
		}

		// Later starts get the same pair; the secret's white space does not matter.
		again, err := Load(ctx, s, []byte(strings.TrimSpace(string(secret))))
		if err != nil || !again.Certificate.Equal(first.Certificate) {
			t.Fatalf("second Load = %v, same certificate %v; want the stored pair", err, err == nil && again.Certificate.Equal(first.Certificate))
		}
		signs(t, again)

		tests := []struct {
			name   string
			secret []byte
			want   string
		}{
			{"no secret key", nil, "needs the --secret-key-file"},
			{"another secret key", another, "sealed with another secret key"},
		}
		for _, tt := range tests {
			_, err := Load(ctx, s, tt.secret)
			if !errors.Is(err, ErrSecretKey) || !gatehouse.IsKind(err, gatehouse.Invalid) || !strings.Contains(gatehouse.ErrorMessage(err), tt.want) {
				t.Errorf("Load with %s = %v, want ErrSecretKey mentioning %q", tt.name, err, tt.want)
			}
		}
	})
}

func TestLoadPlain(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		first, err := Load(ctx, s, nil)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if k := stored(t, s); k.Encrypted || !strings.Contains(string(k.PrivateKeyPEM), "BEGIN PRIVATE KEY") {
			t.Errorf("stored key encrypted %v, want a plain PKCS #8 PEM", k.Encrypted)
		}
		// A secret key given later does not lock the instance out.
		again, err := Load(ctx, s, secret)
		if err != nil || !again.Certificate.Equal(first.Certificate) {
			t.Errorf("Load with a secret key over a plain key = %v; want the stored pair", err)
		}
	})
}

func TestLoadBadSecretKey(t *testing.T) {
	s := sqlitestoretest.Open(t)
	for _, key := range [][]byte{{}, []byte("\n"), []byte("short secret")} {
		_, err := Load(context.Background(), s, key)
		if !gatehouse.IsKind(err, gatehouse.Invalid) || !strings.Contains(gatehouse.ErrorMessage(err), "at least 32") {
			t.Errorf("Load(secret %q) = %v, want Invalid asking for 32 bytes", key, err)
		}
	}
	if k, err := s.EnsureInstanceKey(context.Background(), mustFake(t)); err != nil || string(k.PrivateKeyPEM) != string(mustFake(t).PrivateKeyPEM) {
		t.Errorf("a refused secret key stored a key: %v", err)
	}
}

func mustFake(t *testing.T) *gatehouse.InstanceKey {
	k, _, _ := generateFast()
	return k
}

// TestLoadTogether starts nodes at once: all agree on one key pair.
func TestLoadTogether(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		const nodes = 3
		var wg sync.WaitGroup
		pairs := make([]KeyPair, nodes)
		errs := make([]error, nodes)
		for i := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pairs[i], errs[i] = Load(context.Background(), s, secret)
			}()
		}
		wg.Wait()
		for i := range nodes {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			if !pairs[i].Certificate.Equal(pairs[0].Certificate) {
				t.Errorf("node %d got another certificate than node 0", i)
			}
			signs(t, pairs[i])
		}
	})
}
