package provision_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// BenchmarkCreate provisions new users one after the other through the use
// case, on SQLite: the write side of an initial sync without HTTP.
func BenchmarkCreate(b *testing.B) {
	s := sqlitestoretest.Open(b)
	ctx := context.Background()
	adm := &admin.Service{Store: s, PasswordParams: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	if _, err := adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "owner", Email: "owner@example.com"}); err != nil {
		b.Fatal(err)
	}
	g, err := adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "bench", Owner: "owner"})
	if err != nil {
		b.Fatal(err)
	}
	svc := &provision.Service{Store: s}
	c := provision.Caller{Group: g, TokenID: 1}
	i := 0
	for b.Loop() {
		i++
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"ext%d","userName":"user%d@bench.example",
"name":{"givenName":"U","familyName":"B"},"emails":[{"primary":true,"type":"work","value":"user%d@bench.example"}]}`, i, i, i)
		u, err := scim.ParseUser([]byte(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Create(ctx, c, u); err != nil {
			b.Fatal(err)
		}
	}
}
