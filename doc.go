// Package gatehouse is the domain vocabulary of Gatehouse: groups (tenants) with
// their members and roles, users (global accounts), the SAML identities that link
// a user to one group's identity provider, the SCIM identities a group's identity
// provider manages and the SCIM groups it pushes (SCIMGroup, whose members are
// those identities), tokens, the group's SAML configuration, audit events,
// the group's SCIM request log, what SAML sign-in keeps on the server
// (the instance's key pair, AuthnRequests, the continue flows, sessions) with
// the group's SAML log, and the counters of failed password sign-ins.
//
// The package holds types, their validation rules and the error kinds every other
// package speaks. It imports only the standard library and performs no I/O.
//
// How the rest fits together:
//
//   - store declares the persistence contract; store/sqlitestore and
//     store/pgstore implement it, and store/storetest is the suite both pass.
//   - admin holds the use cases of accounts, groups, members and tokens that the
//     command line and (later) the web pages and admin API share.
//   - scimlog redacts SCIM requests and writes each group's SCIM request log
//     in the background.
//   - server assembles the HTTP surface; cmd/gatehouse wires everything.
package gatehouse
