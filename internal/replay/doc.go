// Package replay runs replay tests: real identity-provider traffic, pinned
// as one fixture file per request/response pair and sent in order to a live
// server, which must answer as the fixture expects.
//
// # Running
//
//	replay.Run(t, replay.Config{
//		Base: srv.URL + "/api/scim/v2/groups/acme.corp",
//		Vars: map[string]string{"token": token},
//	}, "testdata/replay/entra")
//
// A directory runs its *.http files in file-name order (so name them
// 01-…, 02-…), each as a subtest named after the file without ".http",
// inside a subtest named after the directory. The steps of one directory
// share variables; each directory starts again from [Config.Vars]. A failing
// step does not stop the steps after it, but a later step that needs a value
// the failed step should have captured fails at once, saying so.
//
// # The fixture format
//
// A fixture is UTF-8 text (CRLF is read as LF) made of a request, a response
// line and the expected response:
//
//	# Entra ID creates a user (idp-clients.md §1.4 "User: Create").
//	POST /Users
//	Content-Type: application/scim+json
//	Authorization: Bearer {{token}}
//
//	{"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee", …}
//
//	=== 201
//	Content-Type: application/scim+json
//	Location: {{base}}/Users/{{*id}}
//
//	{"id": "{{*id}}", "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee", …}
//
// In detail:
//
//   - Lines starting with # before the request line, and among either block
//     of headers, are comments. Say there what the step is and which
//     document it comes from. Elsewhere (in bodies) # is plain text.
//   - The request line is METHOD TARGET. TARGET is a path relative to the
//     base (it must start with /, and is appended to [Config.Base]) or, once
//     its variables are expanded, an absolute http:// or https:// URL, such
//     as {{base_by_id}}/Users. The path and the raw query are sent exactly as
//     written, never re-encoded: IdPs send filter=userName+eq+%22x%22, raw
//     quotes, a trailing ? or &, and those quirks are what a fixture pins.
//     TARGET may not contain spaces; write them as + or %20, as IdPs do.
//   - Request headers follow, one "Name: value" per line, up to a blank line.
//     Only the headers written are sent, besides those HTTP itself needs
//     (Host, Content-Length, and Accept-Encoding: gzip where the fixture sets
//     no Accept-Encoding). In particular no User-Agent is sent unless one is
//     written, as in Entra's Test Connection. A Host header sets the request's
//     host.
//   - The request body is everything after that blank line up to the
//     response line, with trailing blank lines removed. It is sent as
//     written, with its variables expanded as plain text.
//   - The response line is "=== STATUS", or "=== STATUS|STATUS" when either
//     status is correct (for example 200|204). A 204 must have an empty body
//     whatever the expected body says.
//   - Expected headers follow, up to a blank line. Each must be present in
//     the response (names are matched without regard to case) with a value
//     matching the template written; Content-Type is compared on its media
//     type alone, so application/scim+json matches
//     "application/scim+json; charset=utf-8". A header written as
//     {{absent}} must not be present. Headers not written are not checked.
//   - The expected body is the rest of the file. Empty, it means the response
//     body must be empty. {{any}} alone accepts any body. Otherwise it is one
//     JSON value, which the response body must contain as described next.
//
// # Matching the body
//
// The expected JSON is a subset of the actual body:
//
//   - Every member of an expected object must be present in the actual
//     object with a matching value; extra members are fine. Member names are
//     compared exactly.
//   - "{{absent}}" as a member's value means the member must not be there:
//     a password must never be echoed, an omitted externalId stays omitted.
//   - An expected array must have as many elements as the actual one, each
//     matching the element at the same index.
//   - An expected array whose last element is the string "..." means "at
//     least these, in any order": each other element must match a different
//     element of the actual array (the first unused one that fits is taken).
//   - Numbers are compared by value (1 equals 1.0); strings, booleans and
//     null exactly, except where a string holds placeholders.
//   - "{{any}}" matches any value of any type, but the member must exist.
//
// # Placeholders
//
// Placeholders may appear in the request target, request header values and
// the request body, and in expected header values and expected JSON strings
// (never outside a string in an expected body):
//
//   - {{name}} is the value of the variable name: from [Config.Vars], from
//     {{base}} (which defaults to [Config.Base]), or captured by an earlier
//     step of the same directory. In an expected value it must match
//     exactly. Using an undefined variable fails the step.
//   - {{*name}}, in an expected header or JSON string only, matches one or
//     more characters and captures them as the variable name for later
//     steps. In "{{base}}/Users/{{*id}}" it captures what follows the
//     literal prefix. A capture names a string; a JSON number is not
//     captured. When one response captures the same name twice (the
//     Location header and the body's id), both must agree.
//   - {{any}} matches any text inside a string, or any value when it is the
//     whole string.
//   - {{absent}} is explained above; it is only ever a whole value.
//
// Names are letters, digits, _, . and -, starting with a letter or _. An
// opening {{ that does not form a placeholder is an error, so a literal
// "{{" cannot appear in a fixture.
//
// # Failures
//
// A step fails when the status is not one of those expected (the headers
// and body are then not compared), or when any expected header or body part
// does not match; every mismatch is listed by its place ($.emails[0].value,
// header Location). The message names the fixture file and shows the
// request (its headers as written, so tokens stay {{token}}), the expected
// response as written, and the actual response with its JSON indented;
// bodies are cut to 2 KiB. Captures made before a mismatch are kept.
package replay
