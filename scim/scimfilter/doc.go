// Package scimfilter parses the filters of SCIM list requests (RFC 7644
// §3.4.2.2) on Users into a typed expression, Filter, that a store turns into
// a database query. It is pure: it imports the standard library, package scim
// and the filter grammar of github.com/scim2/filter-parser/v2, nothing else.
//
//	f, err := scimfilter.Parse(`userName eq "alice@example.com"`)
//	// f == scimfilter.Compare{Attr: scimfilter.UserName, Op: scimfilter.Eq, Value: "alice@example.com"}
//
// # Grammar
//
// The operators eq, ne, co, sw, ew, gt, ge, lt, le and pr; and, or and not
// (not is followed by a filter in parentheses); parentheses; and value paths
// on emails, with a comparison after the brackets or without:
//
//	emails[type eq "work" and primary eq true]
//	emails[type eq "work"].value eq "alice@example.com"
//
// A comparison after the brackets applies to the same element as the
// bracketed filter, so the second example parses to
// ValuePath{Emails, And{type eq "work", value eq "alice@example.com"}}.
// Between brackets the whole filter grammar is allowed except another value
// path. Operators, and, or, not, true, false and null are read in any letter
// case, and so are attribute names (USERNAME, emails.Value, meta.Created).
// A core attribute may carry the core schema's URN as a prefix
// (urn:ietf:params:scim:schemas:core:2.0:User:userName).
//
// # Attributes and values
//
// The filterable attributes are those Filterable returns: id, externalId,
// userName, displayName, name.givenName, name.familyName, name.formatted,
// emails.value, emails.type, emails.primary, active, meta.created and
// meta.lastModified. A bare "emails" means emails.value. Any other
// attribute — title, name.middleName, phoneNumbers.value, an enterprise
// extension attribute such as
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department, a
// name nobody knows — is an invalidFilter error that names it and lists the
// filterable ones.
//
// Values are typed by the attribute:
//
//   - strings (id, externalId, userName, displayName, name.*, emails.value,
//     emails.type) take a string; an unquoted number is taken as the string
//     it spells (externalId eq 12345). Every operator applies. Only id
//     compares case-exactly; the others compare case-insensitively, by
//     canonical key (package canon), externalId included (behaviour.md
//     decision 8 overrides its caseExact in RFC 7643).
//   - booleans (active, emails.primary) take true or false, or the strings
//     "True" and "False" in any case, as Entra sends them; only eq, ne and
//     pr apply.
//   - date-times (meta.created, meta.lastModified) take an RFC 3339 string,
//     with any number of fractional digits (Microsoft's test collection
//     sends seven), read strictly: two-digit hours, offsets under 24h and,
//     once in UTC, a year from 0000 to 9999, so every filter accepted can
//     be written back; co, sw and ew do not apply.
//   - null means no value (RFC 7643 §2.5): "x eq null" is not (x pr), and
//     "x ne null" is x pr; no other operator takes null.
//
// # Unquoted values (behaviour.md decision 30)
//
// Identity providers and their test suites send values without quotes:
// userName eq alice@example.com, userName sw O, active eq True,
// meta.created gt 2011-05-13T04:42:34Z. A normaliser runs before the
// strict parser and quotes them where that is unambiguous, by this rule:
// the token that follows a comparison operator is the value; when it is
// not a quoted string, not true, false or null (any case) and not a JSON
// number, it is quoted as the string it spells. An unquoted value runs to
// the next space, quote, parenthesis or bracket, so a value that holds one of
// those must be quoted; userName eq John Smith is an error whose detail
// says so. The normaliser also reads tabs and line breaks as spaces. It
// does not decode "+" as a space: that is the HTTP layer's job.
//
// # Limits and errors
//
// A filter may be at most MaxLength bytes long, nest parentheses and
// brackets at most MaxDepth deep and hold at most MaxComparisons
// comparisons; beyond that Parse refuses it, so that no filter costs the
// database more than a bounded query. Every error Parse returns is a
// *scim.Error with Status 400 and ScimType invalidFilter, and Parse never
// panics (a fuzz test, FuzzParse, checks both).
package scimfilter
