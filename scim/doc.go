// Package scim is the pure SCIM 2.0 core of Gatehouse (RFC 7643 and RFC
// 7644): the schemas it serves, User resources and the rules for reading the
// documents identity providers send, list responses, errors, and the
// discovery documents. It does no I/O and imports nothing else of Gatehouse;
// scim/scimfilter parses filters and scim/scimpatch applies PATCH operations.
package scim
