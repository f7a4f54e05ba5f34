package scimfilter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
)

// cmpf builds a comparison.
func cmpf(a scimfilter.Attr, op scimfilter.Op, v any) scimfilter.Compare {
	return scimfilter.Compare{Attr: a, Op: op, Value: v}
}

// pr builds a presence test.
func pr(a scimfilter.Attr) scimfilter.Compare { return scimfilter.Compare{Attr: a, Op: scimfilter.Pr} }

// utc returns a time in UTC.
func utc(year int, month time.Month, day, hour, min, sec, nsec int) time.Time {
	return time.Date(year, month, day, hour, min, sec, nsec, time.UTC)
}

var parseTests = []struct {
	name string
	in   string
	want scimfilter.Filter
}{
	// Every operator.
	{"eq", `userName eq "alice@example.com"`, cmpf(scimfilter.UserName, scimfilter.Eq, "alice@example.com")},
	{"ne", `userName ne "alice"`, cmpf(scimfilter.UserName, scimfilter.Ne, "alice")},
	{"co", `displayName co "lic"`, cmpf(scimfilter.DisplayName, scimfilter.Co, "lic")},
	{"sw", `name.givenName sw "Al"`, cmpf(scimfilter.GivenName, scimfilter.Sw, "Al")},
	{"ew", `name.familyName ew "son"`, cmpf(scimfilter.FamilyName, scimfilter.Ew, "son")},
	{"name.formatted", `name.formatted co "Jensen III"`, cmpf(scimfilter.Formatted, scimfilter.Co, "Jensen III")},
	{"name.formatted in any case, with the core URN", `urn:ietf:params:scim:schemas:core:2.0:User:NAME.FORMATTED eq "Ms. Barbara J Jensen III"`,
		cmpf(scimfilter.Formatted, scimfilter.Eq, "Ms. Barbara J Jensen III")},
	{"gt", `userName gt "m"`, cmpf(scimfilter.UserName, scimfilter.Gt, "m")},
	{"ge", `externalId ge "m"`, cmpf(scimfilter.ExternalID, scimfilter.Ge, "m")},
	{"lt", `id lt "m"`, cmpf(scimfilter.ID, scimfilter.Lt, "m")},
	{"le", `displayName le "m"`, cmpf(scimfilter.DisplayName, scimfilter.Le, "m")},
	{"pr", `displayName pr`, pr(scimfilter.DisplayName)},
	{"operators in any case", `userName EQ "a" Or userName Pr AND userName sW "b"`,
		scimfilter.Or{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), scimfilter.And{pr(scimfilter.UserName), cmpf(scimfilter.UserName, scimfilter.Sw, "b")}}},

	// Logic and grouping.
	{"and", `userName eq "a" and active eq true`, scimfilter.And{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), cmpf(scimfilter.Active, scimfilter.Eq, true)}},
	{"or", `userName eq "a" or userName eq "b"`, scimfilter.Or{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), cmpf(scimfilter.UserName, scimfilter.Eq, "b")}},
	{"and binds tighter than or", `id eq "1" or id eq "2" and id eq "3"`,
		scimfilter.Or{cmpf(scimfilter.ID, scimfilter.Eq, "1"), scimfilter.And{cmpf(scimfilter.ID, scimfilter.Eq, "2"), cmpf(scimfilter.ID, scimfilter.Eq, "3")}}},
	{"parentheses", `(id eq "1" or id eq "2") and id eq "3"`,
		scimfilter.And{scimfilter.Or{cmpf(scimfilter.ID, scimfilter.Eq, "1"), cmpf(scimfilter.ID, scimfilter.Eq, "2")}, cmpf(scimfilter.ID, scimfilter.Eq, "3")}},
	{"and chains group to the left", `id eq "1" and id eq "2" and id eq "3"`,
		scimfilter.And{scimfilter.And{cmpf(scimfilter.ID, scimfilter.Eq, "1"), cmpf(scimfilter.ID, scimfilter.Eq, "2")}, cmpf(scimfilter.ID, scimfilter.Eq, "3")}},
	{"not", `not (userName eq "a")`, scimfilter.Not{cmpf(scimfilter.UserName, scimfilter.Eq, "a")}},
	{"not without a space, in capitals", `NOT(userName eq "a" or userName eq "b")`,
		scimfilter.Not{scimfilter.Or{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), cmpf(scimfilter.UserName, scimfilter.Eq, "b")}}},
	{"not binds tighter than and", `not (active eq false) and userName pr`,
		scimfilter.And{scimfilter.Not{cmpf(scimfilter.Active, scimfilter.Eq, false)}, pr(scimfilter.UserName)}},
	{"nested parentheses and spaces", `  ( ( userName  eq  "a" ) )  `, cmpf(scimfilter.UserName, scimfilter.Eq, "a")},
	{"tabs and line breaks are spaces", "userName\teq\n\"a\"\r\nand active eq true",
		scimfilter.And{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), cmpf(scimfilter.Active, scimfilter.Eq, true)}},
	{"and after a string without a space", `userName eq "a"and active eq true`,
		scimfilter.And{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), cmpf(scimfilter.Active, scimfilter.Eq, true)}},

	// Attribute names.
	{"names in any case", `USERNAME eq "a" and emails.Value eq "b" and Name.FAMILYNAME eq "c" and META.created pr`,
		scimfilter.And{scimfilter.And{scimfilter.And{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), cmpf(scimfilter.EmailValue, scimfilter.Eq, "b")},
			cmpf(scimfilter.FamilyName, scimfilter.Eq, "c")}, pr(scimfilter.Created)}},
	{"core schema URN prefix", `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, cmpf(scimfilter.UserName, scimfilter.Eq, "a")},
	{"core schema URN prefix with a sub-attribute", `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "a"`,
		cmpf(scimfilter.GivenName, scimfilter.Eq, "a")},
	{"OneLogin's legacy core URN", `urn:scim:schemas:core:2.0:userName eq "a"`, cmpf(scimfilter.UserName, scimfilter.Eq, "a")},
	{"bare emails means emails.value", `emails co "example.com"`, cmpf(scimfilter.EmailValue, scimfilter.Co, "example.com")},
	{"emails.type", `emails.type eq "work"`, cmpf(scimfilter.EmailType, scimfilter.Eq, "work")},
	{"emails.primary", `emails.primary eq true`, cmpf(scimfilter.EmailPrimary, scimfilter.Eq, true)},
	{"meta.lastModified", `meta.lastModified ge "2011-05-13T04:42:34Z"`,
		cmpf(scimfilter.LastModified, scimfilter.Ge, utc(2011, 5, 13, 4, 42, 34, 0))},

	// Value paths.
	{"value path", `emails[type eq "work"]`, scimfilter.ValuePath{scimfilter.Emails, cmpf(scimfilter.EmailType, scimfilter.Eq, "work")}},
	{"value path with and", `emails[type eq "work" and primary eq true]`,
		scimfilter.ValuePath{scimfilter.Emails, scimfilter.And{cmpf(scimfilter.EmailType, scimfilter.Eq, "work"), cmpf(scimfilter.EmailPrimary, scimfilter.Eq, true)}}},
	{"value path with a comparison after it", `emails[type eq "work"].value eq "a@example.com"`,
		scimfilter.ValuePath{scimfilter.Emails, scimfilter.And{cmpf(scimfilter.EmailType, scimfilter.Eq, "work"), cmpf(scimfilter.EmailValue, scimfilter.Eq, "a@example.com")}}},
	{"value path with three terms and parentheses", `emails[(type eq "work" or type eq "home") and not (primary eq false)].Value co "@x"`,
		scimfilter.ValuePath{scimfilter.Emails, scimfilter.And{
			scimfilter.And{scimfilter.Or{cmpf(scimfilter.EmailType, scimfilter.Eq, "work"), cmpf(scimfilter.EmailType, scimfilter.Eq, "home")}, scimfilter.Not{cmpf(scimfilter.EmailPrimary, scimfilter.Eq, false)}},
			cmpf(scimfilter.EmailValue, scimfilter.Co, "@x")}}},
	{"value path pr after it", `emails[type eq "work"].value pr`,
		scimfilter.ValuePath{scimfilter.Emails, scimfilter.And{cmpf(scimfilter.EmailType, scimfilter.Eq, "work"), pr(scimfilter.EmailValue)}}},
	{"value path names in any case", `EMAILS[TYPE eq "work"]`, scimfilter.ValuePath{scimfilter.Emails, cmpf(scimfilter.EmailType, scimfilter.Eq, "work")}},
	{"value path with a space before the bracket", `emails [type eq "work"]`, scimfilter.ValuePath{scimfilter.Emails, cmpf(scimfilter.EmailType, scimfilter.Eq, "work")}},
	{"value paths combined", `emails[type eq "work"] and not (emails[type eq "home"]) or userName eq "x"`,
		scimfilter.Or{scimfilter.And{scimfilter.ValuePath{scimfilter.Emails, cmpf(scimfilter.EmailType, scimfilter.Eq, "work")},
			scimfilter.Not{scimfilter.ValuePath{scimfilter.Emails, cmpf(scimfilter.EmailType, scimfilter.Eq, "home")}}}, cmpf(scimfilter.UserName, scimfilter.Eq, "x")}},

	// Values.
	{"escapes", `userName eq "a\"b\\c\/d\u00e9\u00C9\n\ud83d\ude00"`, cmpf(scimfilter.UserName, scimfilter.Eq, "a\"b\\c/déÉ\n😀")},
	{"unicode", `userName eq "Ünal@Example.com"`, cmpf(scimfilter.UserName, scimfilter.Eq, "Ünal@Example.com")},
	{"empty string", `displayName eq ""`, cmpf(scimfilter.DisplayName, scimfilter.Eq, "")},
	{"operator words inside a string", `displayName eq "a and b or not (c)"`, cmpf(scimfilter.DisplayName, scimfilter.Eq, "a and b or not (c)")},
	{"boolean false", `active eq false`, cmpf(scimfilter.Active, scimfilter.Eq, false)},
	{"boolean in capitals", `active eq TRUE`, cmpf(scimfilter.Active, scimfilter.Eq, true)},
	{"boolean as the string True", `active eq "True"`, cmpf(scimfilter.Active, scimfilter.Eq, true)},
	{"boolean as the string fALSE", `active ne "fALSE"`, cmpf(scimfilter.Active, scimfilter.Ne, false)},
	{"date-time with an offset", `meta.created lt "2011-05-13T06:42:34+02:00"`, cmpf(scimfilter.Created, scimfilter.Lt, utc(2011, 5, 13, 4, 42, 34, 0))},
	{"date-time with nanoseconds", `meta.created eq "2011-05-13T04:42:34.123456789Z"`,
		cmpf(scimfilter.Created, scimfilter.Eq, utc(2011, 5, 13, 4, 42, 34, 123456789))},
	{"eq null is not present", `displayName eq null`, scimfilter.Not{pr(scimfilter.DisplayName)}},
	{"ne null is present", `externalId ne NULL`, pr(scimfilter.ExternalID)},
	{"a number compared with a string attribute", `externalId eq 12345`, cmpf(scimfilter.ExternalID, scimfilter.Eq, "12345")},
	{"a decimal keeps its spelling", `externalId eq 1.50e3`, cmpf(scimfilter.ExternalID, scimfilter.Eq, "1.50e3")},

	// Unquoted values (decision 30).
	{"unquoted address", `userName eq alice@example.com`, cmpf(scimfilter.UserName, scimfilter.Eq, "alice@example.com")},
	{"unquoted letter", `userName sw O`, cmpf(scimfilter.UserName, scimfilter.Sw, "O")},
	{"unquoted date-time", `meta.created gt 2011-05-13T04:42:34Z`, cmpf(scimfilter.Created, scimfilter.Gt, utc(2011, 5, 13, 4, 42, 34, 0))},
	{"unquoted True", `active eq True`, cmpf(scimfilter.Active, scimfilter.Eq, true)},
	{"unquoted value that looks like an operator", `displayName eq and`, cmpf(scimfilter.DisplayName, scimfilter.Eq, "and")},
	{"unquoted value with a backslash", `userName eq CORP\alice`, cmpf(scimfilter.UserName, scimfilter.Eq, `CORP\alice`)},
	{"unquoted value before a closing parenthesis", `(userName eq a or userName eq b)`,
		scimfilter.Or{cmpf(scimfilter.UserName, scimfilter.Eq, "a"), cmpf(scimfilter.UserName, scimfilter.Eq, "b")}},
	{"unquoted value before a closing bracket", `emails[type eq work]`, scimfilter.ValuePath{scimfilter.Emails, cmpf(scimfilter.EmailType, scimfilter.Eq, "work")}},
	{"unquoted number-like value that is not a JSON number", `externalId eq 007`, cmpf(scimfilter.ExternalID, scimfilter.Eq, "007")},
	{"unquoted unicode", `userName eq ÜNAL`, cmpf(scimfilter.UserName, scimfilter.Eq, "ÜNAL")},
}

// idpTests are filters identity providers and their test suites send,
// verbatim as idp-clients.md records them (after the HTTP layer has decoded
// the query string).
var idpTests = []struct {
	name string
	in   string
	want scimfilter.Filter
}{
	{"Entra Test Connection", `userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`,
		cmpf(scimfilter.UserName, scimfilter.Eq, "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee")},
	{"Entra get by query with zero results", `userName eq "non-existent user"`, cmpf(scimfilter.UserName, scimfilter.Eq, "non-existent user")},
	{"Entra externalId, unquoted in the docs", `externalId eq jyoung`, cmpf(scimfilter.ExternalID, scimfilter.Eq, "jyoung")},
	{"Entra matching on the work email", `emails[type eq "work"].value eq "jyoung@Contoso.com"`,
		scimfilter.ValuePath{scimfilter.Emails, scimfilter.And{cmpf(scimfilter.EmailType, scimfilter.Eq, "work"), cmpf(scimfilter.EmailValue, scimfilter.Eq, "jyoung@Contoso.com")}}},
	{"Entra displayName", `displayName eq "displayName"`, cmpf(scimfilter.DisplayName, scimfilter.Eq, "displayName")},
	{"Okta existence check", `userName eq "test.user@okta.local"`, cmpf(scimfilter.UserName, scimfilter.Eq, "test.user@okta.local")},
	{"Okta lookup", `userName eq "dale.mohr@romaguera.uk"`, cmpf(scimfilter.UserName, scimfilter.Eq, "dale.mohr@romaguera.uk")},
	{"OneLogin", `userName eq "onelogin-test-user01"`, cmpf(scimfilter.UserName, scimfilter.Eq, "onelogin-test-user01")},
	{"Microsoft collection DisplayName", `DisplayName eq "BobIsAmazing"`, cmpf(scimfilter.DisplayName, scimfilter.Eq, "BobIsAmazing")},
	{"Microsoft collection unquoted family name and emails",
		`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
		scimfilter.And{cmpf(scimfilter.FamilyName, scimfilter.Eq, "Employee"),
			scimfilter.Or{cmpf(scimfilter.EmailValue, scimfilter.Co, "example.com"), cmpf(scimfilter.EmailValue, scimfilter.Co, "example.org")}}},
	{"Microsoft collection unquoted sw", `userName sw O`, cmpf(scimfilter.UserName, scimfilter.Sw, "O")},
	{"Microsoft collection unquoted date with seven fractional digits", `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
		cmpf(scimfilter.Created, scimfilter.Gt, utc(2015, 10, 10, 21, 38, 21, 861797900))},
}

func TestParse(t *testing.T) {
	for _, tt := range append(parseTests, idpTests...) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scimfilter.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseBlank(t *testing.T) {
	for _, in := range []string{"", " ", " \t\r\n "} {
		if got, err := scimfilter.Parse(in); got != nil || err != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, nil", in, got, err)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"normalises names, operators and quotes", `USERNAME EQ alice`, `userName eq "alice"`},
		{"escapes", `displayName eq "q\"b\\\u0001"`, `displayName eq "q\"b\\\u0001"`},
		{"booleans", `active eq "True"`, `active eq true`},
		{"date-times in UTC", `meta.created gt "2015-10-10T14:38:21.8617979-07:00"`, `meta.created gt "2015-10-10T21:38:21.8617979Z"`},
		{"value path with a comparison after it", `emails[type eq "work"].value eq "x"`, `emails[type eq "work" and value eq "x"]`},
		{"or under and", `(id eq "1" or id eq "2") and id eq "3"`, `(id eq "1" or id eq "2") and id eq "3"`},
		{"and under or", `id eq "1" or id eq "2" and id eq "3"`, `id eq "1" or id eq "2" and id eq "3"`},
		{"right-nested and", `id eq "1" and (id eq "2" and id eq "3")`, `id eq "1" and (id eq "2" and id eq "3")`},
		{"left-nested and", `(id eq "1" and id eq "2") and id eq "3"`, `id eq "1" and id eq "2" and id eq "3"`},
		{"not", `not(id eq "1")`, `not (id eq "1")`},
		{"null", `displayName eq null`, `not (displayName pr)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := scimfilter.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.in, err)
			}
			if got := f.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			again, err := scimfilter.Parse(f.String())
			if err != nil || !cmp.Equal(again, f) {
				t.Errorf("Parse(%q) = %v, %v; want %v", f.String(), again, err, f)
			}
		})
	}
}

var errorTests = []struct {
	name string
	in   string
	want []string // fragments of the detail
}{
	// Attributes.
	{"unknown attribute", `foo eq "x"`, []string{`unknown attribute "foo"`, "filterable attributes are id, externalId, userName"}},
	{"unknown sub-attribute", `name.middle eq "x"`, []string{`unknown attribute "name.middle"`}},
	{"title", `title eq "x"`, []string{`attribute "title" cannot be used in a filter`, "emails.value"}},
	{"phoneNumbers.value", `phoneNumbers.value eq "x"`, []string{`"phoneNumbers.value" cannot be used`}},
	{"name.middleName", `name.middleName eq "x"`, []string{`"name.middleName" cannot be used`}},
	{"emails.display", `emails.display eq "x"`, []string{`"emails.display" cannot be used`}},
	{"complex name", `name eq "x"`, []string{`"name" is a complex attribute`, "name.givenName or name.familyName or name.formatted"}},
	{"meta", `meta pr`, []string{`"meta" is a complex attribute`, "meta.created or meta.lastModified"}},
	{"meta.version", `meta.version eq "x"`, []string{`"meta.version" cannot be used`}},
	{"enterprise attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`,
		[]string{`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" cannot be used`}},
	{"enterprise sub-attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
		[]string{`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value" cannot be used`}},
	{"unknown enterprise attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize eq "x"`,
		[]string{`unknown attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize"`}},
	{"custom extension", `urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag eq "x"`,
		[]string{`unknown attribute "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag"`}},
	{"Entra's manager reference check", `id eq "1" and manager eq "2"`, []string{`unknown attribute "manager"`}},
	{"not an attribute name", `us@er eq "x"`, []string{`"us@er" at position 1 is not an attribute name`}},
	{"dollar names are not attributes", `$vp0 pr`, []string{`"$vp0" at position 1 is not an attribute name`}},
	{"value path on phoneNumbers", `phoneNumbers[type eq "work"].value eq "x"`, []string{`"phoneNumbers" cannot be used`}},
	{"value path on a single-valued attribute", `name[givenName eq "x"]`, []string{`brackets must follow a multi-valued attribute`}},
	{"value path on an unknown attribute", `foo[type eq "x"]`, []string{`unknown attribute "foo"`}},
	{"value path naming a full path inside", `emails[emails.type eq "work"]`, []string{`inside emails[…] name a sub-attribute`}},
	{"value path unknown sub-attribute", `emails[kind eq "work"]`, []string{`unknown attribute "emails.kind"`}},
	{"value path unknown sub-attribute after it", `emails[type eq "work"].address eq "x"`, []string{`unknown attribute "emails.address"`}},
	{"nested value paths", `emails[type eq "work" and emails[type eq "x"]]`, []string{`opens a value path inside another`}},
	{"bad sub-attribute after a value path", `emails[type eq "work"].1 eq "x"`, []string{`".1" at position 23 is not a sub-attribute name`}},

	// Structure.
	{"unclosed parenthesis", `(userName eq "x"`, []string{`the "(" at position 1 is never closed`}},
	{"unopened parenthesis", `userName eq "x")`, []string{`the ")" at position 16 has no matching "("`}},
	{"unclosed bracket", `emails[type eq "work"`, []string{`the "[" at position 7 is never closed`}},
	{"unopened bracket", `userName eq "x"]`, []string{`the "]" at position 16 has no matching "["`}},
	{"parenthesis closed in a bracket", `(emails[type eq "x")]`, []string{`expected "and", "or" or "]", found ")" at position 20`}},
	{"unknown operator", `userName xx "x"`, []string{`unknown operator "xx" at position 10 after userName`, "eq, ne, co"}},
	{"missing operator", `userName`, []string{`the filter ends after userName, where an operator was expected`}},
	{"string where the operator goes", `userName "x"`, []string{`expected an operator after userName`, `found "\"x\"" at position 10`}},
	{"missing value", `userName eq`, []string{`the filter ends after userName eq, where a value was expected`}},
	{"missing value before a parenthesis", `(userName eq)`, []string{`expected a value after userName eq, found ")" at position 13`}},
	{"missing value in a value path", `emails[type eq]`, []string{`expected a value after type eq, found "]"`}},
	{"missing value after a value path", `emails[type eq "work"].value eq`, []string{`ends after emails[…].value eq`}},
	{"dangling and", `userName eq "x" and`, []string{`the filter ends where an attribute name was expected`}},
	{"two ands", `userName eq "x" and and userName eq "y"`, []string{`expected an attribute name or "(", found "and" at position 21`}},
	{"empty parentheses", `()`, []string{`expected an attribute name or "(", found ")" at position 2`}},
	{"empty brackets", `emails[]`, []string{`expected an attribute name or "(", found "]"`}},
	{"unquoted value with a space", `displayName eq John Smith`, []string{`found "Smith" at position 21; a value that contains spaces must be quoted`}},
	{"not without parentheses", `not userName eq "x"`, []string{`"not" at position 1 must be followed by a filter in parentheses`}},
	{"starts with a string", `"x"`, []string{`expected an attribute name or "(", found "\"x\"" at position 1`}},
	{"unterminated string", `userName eq "x`, []string{`the string at position 13 has no closing quote`}},
	{"invalid escape", `userName eq "a\qb"`, []string{`the string at position 13 has an invalid escape "\q"`}},
	{"short unicode escape", `userName eq "\u12"`, []string{`\u escape without four hexadecimal digits`}},
	{"half a surrogate pair", `userName eq "\ud83d"`, []string{`half a surrogate pair`}},
	{"trailing backslash", `userName eq "a\`, []string{`has no closing quote`}},
	{"not UTF-8", "userName eq \"\xff\"", []string{`not valid UTF-8`}},

	// Values and operators by type.
	{"gt on a boolean", `active gt true`, []string{`active is a boolean: compare it with eq or ne, not gt`}},
	{"co on a boolean", `emails.primary co "t"`, []string{`emails.primary is a boolean: compare it with eq or ne, not co`}},
	{"string for a boolean", `active eq "yes"`, []string{`active is a boolean: compare it with true or false, not "yes"`}},
	{"number for a boolean", `active eq 1`, []string{`compare it with true or false, not 1`}},
	{"boolean for a string", `userName eq true`, []string{`userName is a string: write the value true in quotes`}},
	{"bad date-time", `meta.created gt "yesterday"`, []string{`meta.created needs an RFC 3339 date-time such as "2011-05-13T04:42:34Z", not "yesterday"`}},
	{"date without a time", `meta.lastModified gt 2011-05-13`, []string{`meta.lastModified needs an RFC 3339 date-time`}},
	{"number for a date-time", `meta.created gt 2011`, []string{`not 2011`}},
	{"one-digit hour", `meta.created lt "2011-05-13T4:42:34Z"`, []string{`meta.created needs an RFC 3339 date-time`}},
	{"offset of a day", `meta.created lt "2011-05-13T04:42:34+24:00"`, []string{`meta.created needs an RFC 3339 date-time`}},
	{"before year 0000 in UTC", `metA.CreAted lt "0000-01-01T00:00:00+01:00"`, []string{`meta.created must fall in the years 0000 to 9999 in UTC, not "0000-01-01T00:00:00+01:00"`}},
	{"after year 9999 in UTC", `meta.lastModified gt "9999-12-31T23:30:00-01:00"`, []string{`meta.lastModified must fall in the years 0000 to 9999 in UTC`}},
	{"co on a date-time", `meta.created co "2011"`, []string{`meta.created is a date-time: compare it with eq, ne, gt, ge, lt or le, not co`}},
	{"null with gt", `displayName gt null`, []string{`displayName gt null: null can only be compared with eq or ne`}},
	{"NUL in a value", `userName eq "a\u0000b"`, []string{`must not contain the NUL character`}},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scimfilter.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an invalidFilter error", tt.in, got)
			}
			checkInvalidFilter(t, tt.in, err)
			var se *scim.Error
			if !errors.As(err, &se) {
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(se.Detail, w) {
					t.Errorf("Parse(%q) detail = %q, want it to contain %q", tt.in, se.Detail, w)
				}
			}
		})
	}
}

func TestLimits(t *testing.T) {
	nest := func(n int) string {
		return strings.Repeat("(", n) + `userName eq "x"` + strings.Repeat(")", n)
	}
	nestNot := func(n int) string {
		return strings.Repeat("not (", n) + `userName eq "x"` + strings.Repeat(")", n)
	}
	terms := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`userName eq "u%d"`, i)
		}
		return strings.Join(parts, " or ")
	}
	long := `userName eq "` + strings.Repeat("a", scimfilter.MaxLength-len(`userName eq ""`)) + `"`

	tests := []struct {
		name string
		in   string
		want string // a fragment of the detail; "" means the filter is accepted
	}{
		{"longest", long, ""},
		{"too long", long + " ", fmt.Sprintf("the filter is longer than %d bytes", scimfilter.MaxLength)},
		{"deepest parentheses", nest(scimfilter.MaxDepth), ""},
		{"parentheses too deep", nest(scimfilter.MaxDepth + 1), fmt.Sprintf("nested deeper than %d levels", scimfilter.MaxDepth)},
		{"nots too deep", nestNot(scimfilter.MaxDepth + 1), fmt.Sprintf("nested deeper than %d levels", scimfilter.MaxDepth)},
		{"brackets count", strings.Repeat("(", scimfilter.MaxDepth-1) + `emails[type eq "x"]` + strings.Repeat(")", scimfilter.MaxDepth-1), ""},
		{"brackets too deep", strings.Repeat("(", scimfilter.MaxDepth) + `emails[type eq "x"]` + strings.Repeat(")", scimfilter.MaxDepth),
			fmt.Sprintf("nested deeper than %d levels", scimfilter.MaxDepth)},
		{"most comparisons", terms(scimfilter.MaxComparisons), ""},
		{"too many comparisons", terms(scimfilter.MaxComparisons + 1), fmt.Sprintf("more than %d comparisons", scimfilter.MaxComparisons)},
		{"comparisons in value paths count", terms(scimfilter.MaxComparisons-1) + ` or emails[type eq "a"].value eq "b"`,
			fmt.Sprintf("more than %d comparisons", scimfilter.MaxComparisons)},
		{"very deep input", strings.Repeat("(", scimfilter.MaxLength), "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scimfilter.Parse(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Parse(%d bytes) = %v, want nil", len(tt.in), err)
				}
				return
			}
			checkInvalidFilter(t, tt.in, err)
			var se *scim.Error
			if errors.As(err, &se) && !strings.Contains(se.Detail, tt.want) {
				t.Errorf("Parse(%d bytes) detail = %q, want it to contain %q", len(tt.in), se.Detail, tt.want)
			}
		})
	}
}

func TestAttr(t *testing.T) {
	tests := []struct {
		attr      scimfilter.Attr
		typ       scim.Type
		caseExact bool
		inEmails  bool
	}{
		{scimfilter.ID, scim.String, true, false},
		{scimfilter.ExternalID, scim.String, false, false},
		{scimfilter.UserName, scim.String, false, false},
		{scimfilter.DisplayName, scim.String, false, false},
		{scimfilter.GivenName, scim.String, false, false},
		{scimfilter.FamilyName, scim.String, false, false},
		{scimfilter.Formatted, scim.String, false, false},
		{scimfilter.EmailValue, scim.String, false, true},
		{scimfilter.EmailType, scim.String, false, true},
		{scimfilter.EmailPrimary, scim.Boolean, false, true},
		{scimfilter.Active, scim.Boolean, false, false},
		{scimfilter.Created, scim.DateTime, false, false},
		{scimfilter.LastModified, scim.DateTime, false, false},
	}
	var attrs []scimfilter.Attr
	for _, tt := range tests {
		attrs = append(attrs, tt.attr)
		if got := tt.attr.Type(); got != tt.typ {
			t.Errorf("%s.Type() = %q, want %q", tt.attr, got, tt.typ)
		}
		if got := tt.attr.CaseExact(); got != tt.caseExact {
			t.Errorf("%s.CaseExact() = %v, want %v", tt.attr, got, tt.caseExact)
		}
		if got := tt.attr.InEmails(); got != tt.inEmails {
			t.Errorf("%s.InEmails() = %v, want %v", tt.attr, got, tt.inEmails)
		}
	}
	if diff := cmp.Diff(attrs, scimfilter.Filterable()); diff != "" {
		t.Errorf("Filterable() mismatch (-want +got):\n%s", diff)
	}
}

func ExampleParse() {
	f, err := scimfilter.Parse(`emails[type eq "work"].value eq alice@example.com and active eq "True"`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	_, err = scimfilter.Parse(`title eq "CEO"`)
	fmt.Println(err.(*scim.Error).Status, err.(*scim.Error).ScimType)
	// Output:
	// emails[type eq "work" and value eq "alice@example.com"] and active eq true
	// 400 invalidFilter
}

func BenchmarkParse(b *testing.B) {
	for _, bb := range []struct{ name, in string }{
		{"UserNameEq", `userName eq "alice@example.com"`},
		{"ValuePath", `emails[type eq "work"].value eq "alice@example.com"`},
		{"Unquoted", `name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := scimfilter.Parse(bb.in); err != nil {
					b.Fatalf("Parse(%q) = %v", bb.in, err)
				}
			}
		})
	}
}
