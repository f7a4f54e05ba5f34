// Package scimpatch parses SCIM PATCH requests (RFC 7644 §3.5.2) in every
// dialect Gatehouse's identity providers speak, and applies them to a User
// resource document. It is pure: no I/O, and it imports only the standard
// library and package scim.
//
// # The document model
//
// A User resource document is a map[string]any shaped like encoding/json's
// output: strings, bools, numbers, []any and map[string]any. Numbers may be
// float64 or json.Number (ParseRequest decodes values with UseNumber, so a
// number in a custom extension keeps its exact text); the two compare by
// value. Keys are canonical for known attributes: "userName", "name" →
// {"givenName", ...}, "emails" → [{"value", "type", "primary"}], and the
// enterprise extension under its full URN
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" →
// {"department", "manager": {"value"}}. Attributes of any other extension
// (custom attributes an IdP administrator mapped) sit under their URN key,
// verbatim. A document may also hold "id", "meta" and "schemas"; Apply never
// changes the first two and keeps "schemas" in step with the extension
// objects it writes or empties.
//
// Apply keeps the document canonical: it writes known attributes under
// their canonical names whatever case the request used ("Department",
// "emails[type eq \"other\"].Value", "Manager": {"Value": ...}), converts
// values to the schema's type ("True", "False", "true" become booleans,
// sub-attributes such as emails.primary included; a number sent for a
// string attribute becomes its text), drops read-only sub-attributes inside
// values (manager.displayName), and never stores a password. A null or ""
// value removes its target (Microsoft's null-update test), and an object,
// list or extension left empty is removed as well.
//
// # Dialects
//
// Every dialect below is accepted in the same request body:
//
//   - op in any case: Entra's legacy "Add", "Replace", "Remove"; lower case
//     from Entra with the aadOptscim062020 flag, Okta and OneLogin.
//   - booleans as true/false or as the strings "True"/"False" (Entra's
//     legacy "active", the validator's roles[].primary), also inside
//     filters: roles[primary eq "True"].value compares with true.
//   - paths: simple (userName, active, externalId...), dotted
//     (name.givenName), URN-qualified
//     (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department,
//     …:User:manager.value; also OneLogin's pre-RFC URNs and the "."
//     separator Entra used before 2018), value paths with a filter
//     (emails[type eq "work"].value, addresses[type eq "work"].locality),
//     whole multi-valued attributes (emails), a schema URN alone (its value
//     an object of the extension's attributes), and custom extension paths.
//     Unqualified enterprise attribute names resolve to the enterprise
//     extension: Entra's legacy traffic sends "manager" so.
//   - path-less add and replace (Okta, Entra with the flag): the value is an
//     object and all its keys apply, not only the first as in GitLab. Keys
//     may be simple, dotted, URN-qualified, or an extension URN whose value
//     is an object. Keys id, meta, schemas and groups are echoes of the
//     resource and are ignored there (Okta puts the resource's id in).
//   - manager as a plain id string, {"value": id}, Entra's legacy
//     [{"$ref": ..., "value": id}], or "" to remove it.
//
// # Semantics
//
// add sets a single-valued attribute and merges into a complex one; on a
// multi-valued attribute it appends, and a value equivalent to one already
// present (same value and no conflicting type; for addresses the same
// fields) updates that value instead of duplicating it, so repeated
// requests are harmless. replace sets, merges into complex attributes, and
// replaces a whole multi-valued attribute. With a filter, add and replace
// act on the selected values (add merges, replace replaces them, keeping
// the filter's eq fields), and when none matches they create one from the
// filter's eq conditions, as Entra expects even when the attribute is
// absent: add emails[type eq "work"].value "a@x" on a user without emails
// gives emails [{"type": "work", "value": "a@x"}]. When an operation makes
// a value primary, every other value of the attribute loses primary (RFC
// 7643 §2.4).
//
// remove needs a path (otherwise 400 noTarget). It removes the attribute,
// the sub-attribute, the values a filter selects, or that sub-attribute of
// them (a value left with only type or primary goes too), or, when a value
// lists values (Entra's legacy form), only those. Removing what is absent
// succeeds and changes nothing.
//
// Custom extension attributes are kept and set verbatim; they are never
// rejected nor dropped. An unknown attribute of the core or enterprise
// schema is 400 invalidPath, whether named by a path or by a key of a
// path-less value; an unknown sub-attribute inside a value is 400
// invalidValue.
//
// # Errors
//
// Every error is a *scim.Error with status 400. Apply's details start with
// the operation, as in `Operations[1] (replace "active"): active is a
// boolean; send true or false, not "maybe"`. The scimType is:
//   - invalidSyntax: a body that is not a PatchOp message (ParseRequest);
//   - invalidPath: a malformed path or filter, an unknown attribute;
//   - invalidValue: a value of the wrong type or shape, a bad op;
//   - noTarget: remove without a path; a filtered add or replace that
//     matches nothing and whose filter cannot describe a new value;
//   - mutability: id, meta or groups (read-only), manager.displayName, or
//     removing the required userName. password is accepted and discarded,
//     and schemas is accepted and ignored, because Gatehouse derives it.
//
// # Limits
//
// So that one request cannot cost more than milliseconds, a request holds
// at most 1000 operations, a value object at most 1000 keys, and Apply
// refuses (400 invalidValue) to grow a multi-valued attribute beyond 1000
// values or an extension beyond 1000 attributes. Real traffic stays far
// below these; Entra's largest user PATCH has a few dozen operations.
package scimpatch
