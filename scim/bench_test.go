package scim_test

import (
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/scim"
)

func BenchmarkParseUser(b *testing.B) {
	body, err := loadFixture("postman-post-enterprise-garbage.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := scim.ParseUser(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUserResource measures one element of a GET /Users page: building
// the resource and projecting it.
func BenchmarkUserResource(b *testing.B) {
	body, err := loadFixture("postman-post-enterprise-garbage.json")
	if err != nil {
		b.Fatal(err)
	}
	u, err := scim.ParseUser(body)
	if err != nil {
		b.Fatal(err)
	}
	meta := scim.Meta{Created: time.Now(), LastModified: time.Now(), Location: "https://x/Users/1", Version: scim.ETag(3)}
	attrs := scim.ParseAttributeList("userName,emails,name.givenName")
	for b.Loop() {
		r := scim.UserResource(u.Doc, "1", u.ExternalID, u.Active, meta)
		_ = scim.Project(r, attrs, nil)
	}
}
