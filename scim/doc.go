// Package scim is the pure SCIM 2.0 core of Gatehouse (RFC 7643 and RFC
// 7644): the schemas it serves, User resources and the rules for reading the
// documents identity providers send, list responses, errors, and the
// discovery documents. It does no I/O and imports nothing else of Gatehouse;
// scim/scimfilter parses filters and scim/scimpatch applies PATCH operations.
//
// # The canonical user document
//
// A user document is the JSON object Gatehouse stores for a SCIM user: what
// ParseUser makes of a POST or PUT body, what PUT replaces and what PATCH
// edits (UserDoc.Doc). It is a map[string]any as encoding/json decodes it
// (objects map[string]any, arrays []any; numbers json.Number, as ParseUser
// decodes them so that a number in a custom extension keeps its exact text,
// though float64 is read too) and follows these rules:
//
//   - attributes of the core User schema have their canonical spelling
//     ("userName", "emails", "primary"), whatever case the IdP used;
//   - enterprise attributes live in an object under the key
//     EnterpriseUserSchema, never at the top level and never under the
//     legacy OneLogin URN;
//   - keys of any other URN (custom extensions an IdP admin mapped) are kept
//     as sent, value and all, except that nulls inside are dropped;
//   - boolean attributes hold real booleans (the strings "True" and "false"
//     are converted);
//   - null, "" (an unfilled IdP template placeholder), empty arrays and
//     empty objects are absent: the key is not there; so is an element of a
//     multi-valued attribute that holds only type and primary;
//   - read-only sub-attributes a client sent (manager.displayName) are
//     dropped;
//   - id, externalId, active, meta, schemas, groups and password are never in
//     it: id and meta are Gatehouse's, externalId and active are kept in
//     their own columns (UserDoc.ExternalID, UserDoc.Active), groups is
//     read-only, and password is discarded.
//
// UserResource turns a document into the resource Gatehouse answers with;
// UserFromDoc reads a document, or such a resource after a PATCH, back.
package scim
