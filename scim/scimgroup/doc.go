// Package scimgroup reads the Group documents (RFC 7643 §4.2) and Group
// PATCH requests identity providers send, and builds the Group resources
// Gatehouse answers with. It is pure: no I/O, and it imports only the
// standard library, package scim and scim/scimpatch (whose ParseRequest
// reads a PatchOp message).
//
// A group's members are SCIM users of the same group, named by their SCIM
// ids (members[].value). Reading keeps each member's display text (display
// or displayName, as the Microsoft collection sends it) and ignores $ref and
// type: Gatehouse knows where its users live.
//
// # PATCH dialects
//
// Patch turns every operation into a Change, in request order, so that the
// caller applies them in one transaction:
//
//   - Entra without the aadOptscim062020 flag: "Add"/"Remove" with path
//     members and a value list [{"value": id}]; the Remove removes only the
//     listed members. JumpCloud and OneLogin send the same shape.
//   - Entra with the flag and Okta: remove with path members[value eq "id"]
//     (several ids joined by or are accepted).
//   - Okta's full push: replace with path members and the whole list.
//   - remove with path members and no value: every member (the Microsoft
//     collection).
//   - a rename by path (displayName, externalId) or path-less (Okta's
//     {"id": …, "displayName": …}: id, schemas and meta are echoes and are
//     ignored; a members key in a path-less add or replace adds or replaces
//     members).
//   - op names in any case; a member value as an object, a list of them, or
//     a bare id string (the Microsoft collection's garbage test).
package scimgroup
