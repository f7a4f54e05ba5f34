package demo_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/demo"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

const base = "http://127.0.0.1:8080"

// backends runs fn on each backend, with root created.
func backends(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	for _, b := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", sqlitestoretest.Open}, {"postgres", pgstoretest.Open}} {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			if _, _, err := (&admin.Service{Store: s}).Bootstrap(context.Background(), "root password for tests"); err != nil {
				t.Fatal(err)
			}
			fn(t, s)
		})
	}
}

func config(s store.Store, baseURL string) demo.Config {
	kp := samltest.Keys("sp")
	return demo.Config{Store: s, BaseURL: baseURL, SCIM: http.NotFoundHandler(),
		SSO: &sso.Service{Store: s, BaseURL: baseURL, Keys: sso.KeyPair{Key: kp.Key, Certificate: kp.Cert}}}
}

func TestSetupIsIdempotent(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		first, err := demo.Setup(ctx, config(s, base))
		if err != nil {
			t.Fatalf("Setup = %v", err)
		}
		cfg1, err := s.FindSAMLConfig(ctx, first.Group().ID)
		if err != nil {
			t.Fatal(err)
		}
		second, err := demo.Setup(ctx, config(s, base+"/"))
		if err != nil {
			t.Fatalf("Setup again = %v", err)
		}
		cfg2, err := s.FindSAMLConfig(ctx, second.Group().ID)
		if err != nil {
			t.Fatal(err)
		}
		if first.Group().ID != second.Group().ID {
			t.Errorf("second Setup made group %d, want the first one, %d", second.Group().ID, first.Group().ID)
		}
		g := second.Group()
		if g.Path != demo.GroupPath || g.Name != demo.GroupName {
			t.Errorf("demo group = %s %q, want %s %q", g.Path, g.Name, demo.GroupPath, demo.GroupName)
		}
		if cfg1.Certificates[0] != cfg2.Certificates[0] || !cfg2.UpdatedAt.Equal(cfg1.UpdatedAt) {
			t.Errorf("second Setup changed the SAML configuration (a new key?)")
		}
		if cfg2.IdPEntityID != base+"/-/demo/idp" || cfg2.SSOURL != base+"/-/demo/idp/sso" || !cfg2.Enabled || !cfg2.AllowIdPInitiated {
			t.Errorf("SAML configuration = %+v, want the demo IdP", cfg2)
		}
		root, err := s.FindUserByUsername(ctx, admin.RootUsername)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := s.FindMember(ctx, g.ID, root.ID); err != nil || m.Role != gatehouse.Owner {
			t.Errorf("root in the demo group = %v, %v; want owner", m, err)
		}
		// One token: the second start's.
		if toks, err := s.ListSCIMTokens(ctx, g.ID); err != nil || len(toks) != 1 {
			t.Errorf("SCIM tokens after two starts = %d, %v; want 1", len(toks), err)
		}
		// Another port: the configuration follows the base URL.
		third, err := demo.Setup(ctx, config(s, "http://localhost:9090"))
		if err != nil {
			t.Fatalf("Setup on another base URL = %v", err)
		}
		if cfg3, _ := s.FindSAMLConfig(ctx, third.Group().ID); cfg3.SSOURL != "http://localhost:9090/-/demo/idp/sso" || cfg3.Certificates[0] != cfg1.Certificates[0] {
			t.Errorf("SAML configuration after a new base URL = %s, same key %v", cfg3.SSOURL, cfg3.Certificates[0] == cfg1.Certificates[0])
		}
	})
}

func TestSetupRefuses(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, tt := range []struct {
			name, base string
			kind       gatehouse.Kind
		}{
			{"http base URL off this machine", "http://gatehouse.example", gatehouse.Invalid},
			{"http base URL on the LAN", "http://192.168.1.5:8080", gatehouse.Invalid},
		} {
			if _, err := demo.Setup(ctx, config(s, tt.base)); gatehouse.ErrorKind(err) != tt.kind {
				t.Errorf("%s: Setup(%s) = %v, want %s", tt.name, tt.base, err, tt.kind)
			}
		}
		// Someone's own group called demo, trusting their IdP, stays theirs.
		adm := &admin.Service{Store: s}
		g, err := adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: demo.GroupPath, Owner: admin.RootUsername})
		if err != nil {
			t.Fatal(err)
		}
		idp := samltest.NewIdP("okta")
		if err := s.PutSAMLConfig(ctx, &gatehouse.SAMLConfig{GroupID: g.ID, Enabled: true, IdPEntityID: idp.EntityID, SSOURL: idp.SSOURL,
			Certificates: []string{string(idp.Keys.CertPEM())}}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Setup(ctx, config(s, base)); gatehouse.ErrorKind(err) != gatehouse.Conflict {
			t.Errorf("Setup over a group of the same path with another IdP = %v, want Conflict", err)
		}
	})
}
