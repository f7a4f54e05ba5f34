// Package store declares the persistence contract of Gatehouse: one interface
// that every backend (store/sqlitestore, the embedded default, and
// store/pgstore, PostgreSQL) implements and that store/storetest checks.
//
// Stores persist data atomically and enforce uniqueness; they hold no business
// rules. Every case-insensitive rule (usernames, emails, group paths, SCIM
// userName and extern_uid) compares canonical keys computed by package canon;
// the store derives those keys itself from the values it is given, and looks
// values up by the key of the argument.
//
// Group-scoped methods take the group id as an explicit argument and never
// return a row of another group, even when handed the id of one.
//
// Errors carry gatehouse kinds: NotFound when a row does not exist (in that
// group), Conflict when a write would break a uniqueness rule, Invalid when a
// value breaks a rule the store checks (Validate is called on every write),
// Unavailable when the database cannot be reached. Times are stored in UTC with
// microsecond precision and come back in UTC.
//
// A Store is safe for concurrent use. A Queries handed to an InTx callback is
// not, and must not be used after the callback returns.
package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
)

// Store is an open database.
type Store interface {
	Queries

	// InTx runs fn in one transaction: everything fn writes through q lands
	// together when fn returns nil, or not at all when it returns an error
	// (which InTx returns as is). fn runs once; it is not retried.
	InTx(ctx context.Context, fn func(q Queries) error) error

	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error

	// SchemaInfo reports the schema version in the database and the newest
	// version this binary knows.
	SchemaInfo(ctx context.Context) (SchemaInfo, error)

	// Stats reports connection-pool statistics by pool name ("read" and
	// "write" for SQLite's two pools, "main" for PostgreSQL), for metrics.
	Stats() map[string]sql.DBStats

	// Close releases the database; queries already running finish first.
	Close() error
}

// SchemaInfo describes the migration state.
type SchemaInfo struct {
	Current int64 // the newest migration applied to the database
	Known   int64 // the newest migration this binary carries
}

// Page selects a window of an ordered list. Lists are ordered by the rows'
// internal ids, so the order is stable while rows are added.
type Page struct {
	// Offset skips that many rows (SCIM's startIndex-1).
	Offset int
	// Limit is the most rows returned; 0 returns no rows (only the total).
	Limit int
	// AfterID, when positive, starts after the row with that id (keyset paging,
	// cheaper than Offset at depth). Offset applies after it.
	AfterID int64
}

// Queries is every read and write. A Store runs each call in its own
// transaction; InTx hands one that shares a transaction.
type Queries interface {
	UserQueries
	GroupQueries
	MemberQueries
	IdentityQueries
	SCIMIdentityQueries
	SCIMGroupQueries
	TokenQueries
	SAMLConfigQueries
	AuditQueries
	SCIMRequestLogQueries
	SAMLStateQueries
	SignInLimitQueries
	GroupLinkQueries
}

// UserQueries reads and writes global accounts and their emails.
type UserQueries interface {
	// CreateUser inserts u with its emails and sets u.ID, u.CreatedAt and
	// u.UpdatedAt. Conflict when the username is taken, or an email is taken
	// (by a personal account, for a personal account; within the managing
	// group, for a managed account).
	CreateUser(ctx context.Context, u *gatehouse.User) error
	// UpdateUser writes every field of u, emails included, and sets u.UpdatedAt.
	// NotFound, Conflict as CreateUser.
	UpdateUser(ctx context.Context, u *gatehouse.User) error
	// FindUserByID returns the user with its emails. NotFound.
	FindUserByID(ctx context.Context, id int64) (*gatehouse.User, error)
	// FindUserByUsername matches the username case-insensitively. NotFound.
	FindUserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	// FindPersonalUserByEmail finds the personal account owning the address
	// (case-insensitively). Managed accounts are never returned. NotFound.
	FindPersonalUserByEmail(ctx context.Context, email string) (*gatehouse.User, error)
	// FindManagedUserByEmail finds the account managed by groupID owning the
	// address (case-insensitively). NotFound.
	FindManagedUserByEmail(ctx context.Context, groupID int64, email string) (*gatehouse.User, error)
	// UsernameTaken reports whether any account holds the username.
	UsernameTaken(ctx context.Context, username string) (bool, error)
	// CountAdmins counts the administrator accounts.
	CountAdmins(ctx context.Context) (int, error)
}

// GroupQueries reads and writes groups.
type GroupQueries interface {
	// CreateGroup inserts g and sets g.ID, g.CreatedAt, g.UpdatedAt. Conflict
	// when the path is taken (case-insensitively).
	CreateGroup(ctx context.Context, g *gatehouse.Group) error
	// UpdateGroup writes g's path, name, default role and LinksOnly.
	// NotFound, Conflict.
	UpdateGroup(ctx context.Context, g *gatehouse.Group) error
	// FindGroupByID returns the group. NotFound.
	FindGroupByID(ctx context.Context, id int64) (*gatehouse.Group, error)
	// FindGroupByPath matches the path case-insensitively. NotFound.
	FindGroupByPath(ctx context.Context, path string) (*gatehouse.Group, error)
	// ListGroups returns a page of groups in id order and the total count.
	ListGroups(ctx context.Context, p Page) ([]*gatehouse.Group, int, error)
	// LockGroup holds the group's write lock until the surrounding
	// transaction ends: transactions that lock the same group run one after
	// the other. Use cases take it inside InTx before a rule that reads the
	// group's rows and then writes (the last owner, the number of SCIM
	// tokens), so the rule holds under concurrent writers on every backend.
	// Outside InTx it only checks that the group exists. NotFound.
	LockGroup(ctx context.Context, groupID int64) error
}

// MemberQueries reads and writes memberships.
type MemberQueries interface {
	// PutMember inserts or replaces the membership of m.UserID in m.GroupID and
	// sets its times. NotFound when the group or the user does not exist.
	PutMember(ctx context.Context, m *gatehouse.Member) error
	// FindMember returns the membership. NotFound.
	FindMember(ctx context.Context, groupID, userID int64) (*gatehouse.Member, error)
	// DeleteMember removes the membership. NotFound.
	DeleteMember(ctx context.Context, groupID, userID int64) error
	// ListMembers returns a page of the group's members in user id order
	// (Page.AfterID is a user id) and the total count.
	ListMembers(ctx context.Context, groupID int64, p Page) ([]*gatehouse.Member, int, error)
	// CountMembersWithRole counts the group's active members holding role.
	CountMembersWithRole(ctx context.Context, groupID int64, role gatehouse.Role) (int, error)
	// ListUserMemberships returns the memberships of a user, in group id order.
	ListUserMemberships(ctx context.Context, userID int64) ([]*gatehouse.Member, error)
}

// GroupLinkQueries reads and writes group links (gatehouse.GroupLink) and
// the IdP groups each user was last seen in. IdP group names are compared by
// their canonical key.
type GroupLinkQueries interface {
	// CreateGroupLink inserts l and sets l.ID and its times. Conflict when
	// the group links the same IdP group (case-insensitively) already;
	// NotFound when the group does not exist; Invalid.
	CreateGroupLink(ctx context.Context, l *gatehouse.GroupLink) error
	// FindGroupLink returns the group's link with the id. NotFound.
	FindGroupLink(ctx context.Context, groupID, id int64) (*gatehouse.GroupLink, error)
	// ListGroupLinks returns the group's links in id order.
	ListGroupLinks(ctx context.Context, groupID int64) ([]*gatehouse.GroupLink, error)
	// DeleteGroupLink removes the group's link with the id. NotFound.
	DeleteGroupLink(ctx context.Context, groupID, id int64) error

	// ReplaceUserIdPGroups replaces the IdP groups of source (such as
	// gatehouse.IdPGroupSAML) the user was seen in, in the group, with
	// names; names equal by canonical key count once (the first is kept).
	// NotFound when the group or user does not exist; Invalid when a name
	// breaks gatehouse.ValidateIdPGroup.
	ReplaceUserIdPGroups(ctx context.Context, groupID, userID int64, source string, names []string) error
	// ListUserIdPGroups returns the user's IdP groups of source in the
	// group, in canonical key order.
	ListUserIdPGroups(ctx context.Context, groupID, userID int64, source string) ([]string, error)
	// SetMemberRoles sets the role and role source of each of the group's
	// memberships roles names, and inserts events (as CreateAuditEvent,
	// setting each one's At when zero but not its ID), in a few statements
	// however many there are: what a recompute of many members writes.
	// Memberships that do not exist are skipped. Invalid when a role, a
	// source or an event breaks its rules; then nothing is written.
	SetMemberRoles(ctx context.Context, groupID int64, roles []MemberRole, events []*gatehouse.AuditEvent) error
	// ListGroupIdPGroups returns, for every user with IdP groups of source
	// in the group, those groups in canonical key order: one read for a
	// recompute of the whole group.
	ListGroupIdPGroups(ctx context.Context, groupID int64, source string) (map[int64][]string, error)
}

// MemberRole is one membership's new role, for SetMemberRoles.
type MemberRole struct {
	UserID int64
	Role   gatehouse.Role
	Source gatehouse.RoleSource
}

// IdentityQueries reads and writes SAML identities.
type IdentityQueries interface {
	// CreateIdentity inserts i and sets i.ID and its times. Conflict when the
	// group already has an identity with the same extern_uid (case-insensitively)
	// or one for the same user. NotFound when the group or user does not exist.
	CreateIdentity(ctx context.Context, i *gatehouse.Identity) error
	// UpdateIdentity writes i's extern_uid, state and last sign-in, found by
	// i.GroupID and i.ID. NotFound, Conflict.
	UpdateIdentity(ctx context.Context, i *gatehouse.Identity) error
	// FindIdentityByExternUID matches extern_uid case-insensitively. NotFound.
	FindIdentityByExternUID(ctx context.Context, groupID int64, externUID string) (*gatehouse.Identity, error)
	// FindIdentityByUser returns the user's identity in the group. NotFound.
	FindIdentityByUser(ctx context.Context, groupID, userID int64) (*gatehouse.Identity, error)
	// DeleteIdentity removes the identity. NotFound.
	DeleteIdentity(ctx context.Context, groupID, id int64) error
	// ListIdentities returns a page of the group's identities in id order and
	// the total count.
	ListIdentities(ctx context.Context, groupID int64, p Page) ([]*gatehouse.Identity, int, error)
	// ListUserIdentities returns every SAML identity of a user, in id order.
	ListUserIdentities(ctx context.Context, userID int64) ([]*gatehouse.Identity, error)
}

// SCIMIdentityQueries reads and writes SCIM identities. Rows in state deleted
// are kept but left out of uniqueness and of every Find and List here except
// FindSCIMIdentityForUser's includeDeleted. Every Find and List returns the
// identities with their emails, in the order they were written. Invalid also
// when an email is not valid UTF-8 or holds a NUL character.
type SCIMIdentityQueries interface {
	// CreateSCIMIdentity inserts s with its emails, sets s.ID, s.Version (1)
	// and its times. Conflict when a live identity of the group has the same
	// extern_uid or userName (case-insensitively), or is for the same user,
	// or the SCIM id is taken. NotFound when the group or user does not
	// exist.
	CreateSCIMIdentity(ctx context.Context, s *gatehouse.SCIMIdentity) error
	// UpdateSCIMIdentity writes every field of s found by s.GroupID and s.ID,
	// replacing its emails with s.Emails, bumps s.Version and sets
	// s.UpdatedAt. When ifVersion is positive the row is written only if its
	// version still equals ifVersion, else Conflict (a concurrent change;
	// SCIM answers 412). NotFound, Conflict as Create.
	UpdateSCIMIdentity(ctx context.Context, s *gatehouse.SCIMIdentity, ifVersion int64) error
	// FindSCIMIdentity returns the live identity with the SCIM id. NotFound.
	FindSCIMIdentity(ctx context.Context, groupID int64, scimID string) (*gatehouse.SCIMIdentity, error)
	// FindSCIMIdentityByExternUID matches extern_uid case-insensitively among
	// live identities. NotFound.
	FindSCIMIdentityByExternUID(ctx context.Context, groupID int64, externUID string) (*gatehouse.SCIMIdentity, error)
	// FindSCIMIdentityByUserName matches userName case-insensitively among live
	// identities. NotFound.
	FindSCIMIdentityByUserName(ctx context.Context, groupID int64, userName string) (*gatehouse.SCIMIdentity, error)
	// FindSCIMIdentityForUser returns the user's identity in the group: the live
	// one, or with includeDeleted the most recently deleted one when no live
	// one exists. NotFound.
	FindSCIMIdentityForUser(ctx context.Context, groupID, userID int64, includeDeleted bool) (*gatehouse.SCIMIdentity, error)
	// ListSCIMIdentities returns a page of the group's live identities that
	// match f, in id order, and the total count of those that match. A nil f
	// matches every live identity; deleted identities never match. Without
	// a filter the total is a count the database keeps with every write,
	// so it costs the same in a group of any size.
	//
	// The filter runs in the database, on indexed columns; it never loads
	// the group's identities into memory. Comparisons follow each
	// attribute's case rule: the case-insensitive ones (everything but id,
	// externalId included) compare canonical keys, as uniqueness and the
	// Find methods do. An attribute the identity has no value for (an empty
	// displayName, an externalId the IdP never sent) matches only ne and
	// not. Comparisons on emails match when any one email matches; a value
	// path requires one email to match all of its filter. name.formatted,
	// which SCIMIdentity has no field for, is the name.formatted of its
	// Attributes (scim.FormattedName), as Create and Update last wrote
	// them. Invalid when f holds what scimfilter.Parse never builds (an
	// unfilterable attribute, a value of the wrong type).
	ListSCIMIdentities(ctx context.Context, groupID int64, f scimfilter.Filter, p Page) ([]*gatehouse.SCIMIdentity, int, error)

	// CreateSCIMUser writes, as one atomic write, what provisioning
	// someone new to the instance creates: n.User (as CreateUser), then
	// n.Identity (CreateIdentity), n.Member (PutMember; the membership is
	// new) and n.SCIM (CreateSCIMIdentity), each with UserID set to the new
	// account's id, and n.Audit (CreateAuditEvent) with "user_id" set in its
	// Detail. It sets the ids and times as those methods do.
	//
	// When a key the new user would take is held already (as
	// FindSCIMUserClashes reports for n.SCIM's extern_uid and userName, the
	// account's primary email and its username), it writes nothing and
	// returns what holds them, for the caller to take a slower path; the
	// check and the write are one statement on PostgreSQL, one round trip
	// instead of eight. Errors are those of the single writes (a write that
	// races past the check is a Conflict); after an error nothing is
	// written.
	CreateSCIMUser(ctx context.Context, n *NewSCIMUser) (SCIMUserClashes, error)
	// FindSCIMUserClashes reports, in one read, what already holds a key
	// that a new SCIM user of the group would take (see SCIMUserKeys).
	FindSCIMUserClashes(ctx context.Context, groupID int64, k SCIMUserKeys) (SCIMUserClashes, error)
}

// NewSCIMUser is what CreateSCIMUser writes.
type NewSCIMUser struct {
	User     *gatehouse.User         // the new account, with its emails
	Identity *gatehouse.Identity     // its SAML identity in the group
	Member   *gatehouse.Member       // its membership of the group
	SCIM     *gatehouse.SCIMIdentity // its SCIM identity, with its emails
	Audit    *gatehouse.AuditEvent   // the event that records it
}

// SCIMUserKeys are the keys a new SCIM user would take, each compared by
// its canonical key.
type SCIMUserKeys struct {
	ExternUID string // the SCIM identity's extern_uid
	UserName  string // its userName
	Email     string // the account's email
	Username  string // the new account's username
}

// SCIMUserClashes says which SCIMUserKeys are held already. The zero value
// says none is.
type SCIMUserClashes struct {
	ExternUID     bool // by a live SCIM identity of the group
	UserName      bool // by a live SCIM identity of the group
	ManagedEmail  bool // by an account the group manages
	PersonalEmail bool // by a personal account
	Username      bool // by any account
}

// Known reports whether the group or the instance knows the user already:
// a key other than the username is held.
func (c SCIMUserClashes) Known() bool {
	return c.ExternUID || c.UserName || c.ManagedEmail || c.PersonalEmail
}

// SCIMGroupFilter selects SCIM groups by the filters IdPs send: displayName
// eq (compared by canonical key, as uniqueness is) and externalId eq (exact).
// A nil field selects every group.
type SCIMGroupFilter struct {
	DisplayName *string
	ExternalID  *string
}

// SCIMGroupQueries reads and writes a group's SCIM groups (/Groups) and
// their members. Members are SCIM identities of the same group, named by
// their SCIM ids; a member whose identity is deleted is left out of every
// list and count. The member writes take any number of members and are one
// statement per few hundred members, inside the caller's transaction when
// there is one.
type SCIMGroupQueries interface {
	// CreateSCIMGroup inserts g and sets g.ID, g.Version (1) and its times.
	// Conflict when a SCIM group of the group has the same displayName
	// (case-insensitively) or the SCIM id is taken. NotFound when the group
	// does not exist. Invalid when g breaks Validate.
	CreateSCIMGroup(ctx context.Context, g *gatehouse.SCIMGroup) error
	// UpdateSCIMGroup writes g's displayName and externalId, found by
	// g.GroupID and g.SCIMID, bumps g.Version and sets g.UpdatedAt. When
	// ifVersion is positive the row is written only if its version still
	// equals ifVersion, else Conflict. NotFound, Conflict as Create.
	UpdateSCIMGroup(ctx context.Context, g *gatehouse.SCIMGroup, ifVersion int64) error
	// LockSCIMGroup returns the SCIM group holding its write lock until the
	// surrounding transaction ends, so that concurrent membership changes
	// of one SCIM group run one after the other. NotFound.
	LockSCIMGroup(ctx context.Context, groupID int64, scimID string) (*gatehouse.SCIMGroup, error)
	// FindSCIMGroup returns the SCIM group with the SCIM id. NotFound.
	FindSCIMGroup(ctx context.Context, groupID int64, scimID string) (*gatehouse.SCIMGroup, error)
	// ListSCIMGroups returns a page of the group's SCIM groups that match f,
	// in id order, and the total count of those that match.
	ListSCIMGroups(ctx context.Context, groupID int64, f SCIMGroupFilter, p Page) ([]*gatehouse.SCIMGroup, int, error)
	// DeleteSCIMGroup removes the SCIM group and its memberships. NotFound.
	DeleteSCIMGroup(ctx context.Context, groupID int64, scimID string) error

	// AddSCIMGroupMembers adds the members to the SCIM group with row id
	// scimGroupID (of groupID). It returns the members it added; members
	// already in the group are left as they are, and refs whose SCIM id
	// names no live SCIM identity of groupID (unknown, deleted, or another
	// group's) are returned in unknown, not added. Invalid when a ref
	// breaks Validate; NotFound when the SCIM group is not groupID's.
	AddSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64, refs []gatehouse.SCIMGroupMemberRef) (added []gatehouse.SCIMGroupMember, unknown []string, err error)
	// RemoveSCIMGroupMembers removes the members with the SCIM ids and
	// returns those it removed; ids that are not members are skipped.
	// NotFound when the SCIM group is not groupID's.
	RemoveSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64, scimIDs []string) (removed []gatehouse.SCIMGroupMember, err error)
	// RemoveAllSCIMGroupMembers removes every member and returns them.
	// NotFound when the SCIM group is not groupID's.
	RemoveAllSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64) (removed []gatehouse.SCIMGroupMember, err error)
	// ListSCIMGroupMembers returns a page of the SCIM group's live members
	// in identity id order (Page.AfterID is an identity id) and their
	// total count. NotFound when the SCIM group is not groupID's.
	ListSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64, p Page) ([]gatehouse.SCIMGroupMember, int, error)
	// SCIMGroupNames returns, for each of userIDs (every user of the group
	// when userIDs is nil), the displayName and the externalId (when set)
	// of each of the group's SCIM groups the user's live SCIM identity is
	// a member of: the names a group link may match. Users in no SCIM
	// group are left out.
	SCIMGroupNames(ctx context.Context, groupID int64, userIDs []int64) (map[int64][]string, error)
}

// TokenQueries reads and writes SCIM tokens and personal access tokens.
type TokenQueries interface {
	// CreateSCIMToken inserts t and sets t.ID and t.CreatedAt. NotFound when
	// the group does not exist; Conflict when the hash exists.
	CreateSCIMToken(ctx context.Context, t *gatehouse.SCIMToken) error
	// FindSCIMTokenByHash returns the token with the hash, whatever its group;
	// the caller checks the group. NotFound.
	FindSCIMTokenByHash(ctx context.Context, hash []byte) (*gatehouse.SCIMToken, error)
	// ListSCIMTokens returns the group's tokens in id order.
	ListSCIMTokens(ctx context.Context, groupID int64) ([]*gatehouse.SCIMToken, error)
	// DeleteSCIMToken removes one of the group's tokens. NotFound.
	DeleteSCIMToken(ctx context.Context, groupID, id int64) error
	// DeleteSCIMTokens removes all of the group's tokens and says how many.
	DeleteSCIMTokens(ctx context.Context, groupID int64) (int, error)
	// TouchSCIMToken sets the token's last use. NotFound.
	TouchSCIMToken(ctx context.Context, id int64, at time.Time) error

	// CreatePAT inserts t and sets t.ID and t.CreatedAt. NotFound when the user
	// does not exist; Conflict when the hash exists.
	CreatePAT(ctx context.Context, t *gatehouse.PersonalAccessToken) error
	// FindPATByHash returns the token with the hash. NotFound.
	FindPATByHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, error)
	// FindPAT returns the token with the id. NotFound.
	FindPAT(ctx context.Context, id int64) (*gatehouse.PersonalAccessToken, error)
	// ListPATs returns the user's tokens in id order.
	ListPATs(ctx context.Context, userID int64) ([]*gatehouse.PersonalAccessToken, error)
	// DeletePAT removes the token. NotFound.
	DeletePAT(ctx context.Context, id int64) error
	// TouchPAT sets the token's last use. NotFound.
	TouchPAT(ctx context.Context, id int64, at time.Time) error
}

// SAMLConfigQueries reads and writes groups' SAML configurations.
type SAMLConfigQueries interface {
	// PutSAMLConfig inserts or replaces the group's configuration and sets its
	// times. NotFound when the group does not exist.
	PutSAMLConfig(ctx context.Context, c *gatehouse.SAMLConfig) error
	// FindSAMLConfig returns the group's configuration. NotFound.
	FindSAMLConfig(ctx context.Context, groupID int64) (*gatehouse.SAMLConfig, error)
	// SetSAMLMetadataRefreshError sets the group's MetadataRefreshError and
	// MetadataRefreshFailedAt to msg and at, or clears them when msg is ""
	// and at zero, and changes nothing else: UpdatedAt stays the time of
	// the last PutSAMLConfig, by which a metadata refresh tells that the
	// configuration changed while it fetched. NotFound; Invalid when msg
	// and at break gatehouse.ValidateMetadataRefreshError.
	SetSAMLMetadataRefreshError(ctx context.Context, groupID int64, msg string, at time.Time) error
	// DeleteSAMLConfig removes it. NotFound.
	DeleteSAMLConfig(ctx context.Context, groupID int64) error
}

// AuditQueries writes and reads audit events.
type AuditQueries interface {
	// CreateAuditEvent inserts e and sets e.ID (and e.At when zero).
	CreateAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error
	// ListAuditEvents returns a page of the group's events, newest first
	// (Page.AfterID continues below that id), and the total count. groupID 0
	// lists instance-wide events.
	ListAuditEvents(ctx context.Context, groupID int64, p Page) ([]*gatehouse.AuditEvent, int, error)
}

// SCIMRequestLogQueries writes and reads the groups' SCIM request logs
// (gatehouse.SCIMRequestLog). Entries are written in batches by a background
// writer; the store neither redacts nor truncates them (Validate refuses what
// is too long).
type SCIMRequestLogQueries interface {
	// AppendSCIMRequestLogs inserts the entries, which may belong to several
	// groups, in their order, and sets each one's ID (and At, when zero, to
	// the time of the write). Then, when keep is positive, it deletes all but
	// the newest keep entries of each group it wrote to, so a group's log
	// stays bounded; keep <= 0 deletes nothing. It is one transaction: on an
	// error nothing is written. Invalid when an entry breaks Validate;
	// NotFound when a group does not exist. No entries is a no-op.
	AppendSCIMRequestLogs(ctx context.Context, entries []*gatehouse.SCIMRequestLog, keep int) error
	// ListSCIMRequestLogs returns a page of the group's entries, newest
	// first (Page.AfterID continues below that id), and the total count.
	ListSCIMRequestLogs(ctx context.Context, groupID int64, p Page) ([]*gatehouse.SCIMRequestLog, int, error)
}

// SAMLStateQueries reads and writes what SAML sign-in keeps on the server:
// the instance's key pairs, the AuthnRequests sent, the replay cache of
// accepted assertions, browser sessions with their per-group SSO freshness,
// the one-time flows behind continue URLs, and the groups' SAML logs. All of
// it lives in the database, so that every node of an instance shares it and
// a flow survives a restart.
//
// Calls that take now compare it with the rows' expiry at microsecond
// precision, as times are stored: a row that expires exactly at now has
// expired. The store never reads its own clock for expiry, so callers (and
// tests) decide what now is; a zero now is Invalid. Every write validates
// its value (Validate, or the rules of the value's fields) and refuses a
// bad one with Invalid, writing nothing. The single-use guarantees
// (Consume…) hold for any number of concurrent callers, on any number of
// stores sharing one database.
type SAMLStateQueries interface {
	// EnsureInstanceKey inserts k unless a key of that name exists, and
	// returns the stored key: k itself when it was inserted (with CreatedAt
	// set), else the key stored before, which wins. Nodes that start
	// together, each with a key pair of its own, all get the one key that
	// landed first. k is not changed. Invalid when k breaks Validate.
	EnsureInstanceKey(ctx context.Context, k *gatehouse.InstanceKey) (*gatehouse.InstanceKey, error)
	// FindInstanceKey returns the stored key of that name, so that a node
	// whose database holds one need not make one. NotFound.
	FindInstanceKey(ctx context.Context, name string) (*gatehouse.InstanceKey, error)

	// CreateSAMLRequest inserts r and sets r.CreatedAt; the other fields are
	// written as given (UsedAt zero for a new request). Conflict when the
	// group has a request with the ID; NotFound when the group, or the
	// session r.SessionID names, does not exist. A request is deleted with
	// its session.
	CreateSAMLRequest(ctx context.Context, r *gatehouse.SAMLRequest) error
	// FindSAMLRequest returns the group's request with the ID. NotFound when
	// there is none in the group, or it is used or expired at now.
	FindSAMLRequest(ctx context.Context, groupID int64, id string, now time.Time) (*gatehouse.SAMLRequest, error)
	// ConsumeSAMLRequest marks the group's request with the ID used at now
	// and returns it, with UsedAt set. NotFound as FindSAMLRequest: of
	// concurrent consumers of one request exactly one gets it, the others
	// NotFound.
	ConsumeSAMLRequest(ctx context.Context, groupID int64, id string, now time.Time) (*gatehouse.SAMLRequest, error)

	// ConsumeSAMLAssertion records that the group accepted the assertion
	// with the ID, until expiresAt (the assertion's NotOnOrAfter plus the
	// clock skew): the replay cache (security.md §1.9). The first call for
	// (group, assertion ID) succeeds; every later one is Conflict until the
	// entry has expired at now, after which the next call takes the entry
	// over and succeeds. Of concurrent callers exactly one succeeds, the
	// others Conflict; the same assertion ID in another group is another
	// entry. Invalid when the ID breaks gatehouse.ValidateSAMLID, or
	// expiresAt is not after now (such an entry would guard nothing);
	// NotFound when the group does not exist. Any other error means the
	// assertion must be refused: the cache fails closed.
	ConsumeSAMLAssertion(ctx context.Context, groupID int64, assertionID string, expiresAt, now time.Time) error

	// CreateSession inserts s and sets s.ID, s.CreatedAt, and s.LastSeenAt
	// when zero (to s.CreatedAt). Conflict when the hash exists; NotFound
	// when the user does not exist.
	CreateSession(ctx context.Context, s *gatehouse.Session) error
	// FindSessionByHash returns the session with the hash. NotFound when
	// there is none or it is expired at now.
	FindSessionByHash(ctx context.Context, hash []byte, now time.Time) (*gatehouse.Session, error)
	// FindSession returns the session with the id. NotFound when there is
	// none or it is expired at now.
	FindSession(ctx context.Context, id int64, now time.Time) (*gatehouse.Session, error)
	// TouchSession sets the session's LastSeenAt. NotFound; Invalid when at
	// is zero.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// DeleteSession removes the session (signing out), with its SSO
	// records and the SAML requests it started. NotFound.
	DeleteSession(ctx context.Context, id int64) error
	// DeleteUserSessions removes every session of the user, expired ones
	// included, as DeleteSession does, and says how many.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	// MarkSessionSSO records that the session signed in through the group's
	// SSO at at, replacing the session's earlier record for the group.
	// NotFound when the session or the group does not exist.
	MarkSessionSSO(ctx context.Context, sessionID, groupID int64, at time.Time) error
	// FindSessionSSO returns the session's SSO record for the group.
	// NotFound when the session never signed in through the group's SSO.
	FindSessionSSO(ctx context.Context, sessionID, groupID int64) (*gatehouse.SessionSSO, error)
	// DeleteGroupSSOSessions ends the user's SSO sessions for the group
	// (deprovisioning, behaviour.md decision 10): it deletes, as
	// DeleteSession does, every session of userID, expired or not, that
	// has an SSO record for groupID, whatever else the session holds (a
	// password sign-in, other groups' SSO records), and says how many. The
	// user's sessions without a record for the group, and other users'
	// sessions, stay.
	DeleteGroupSSOSessions(ctx context.Context, groupID, userID int64) (int, error)

	// CreateSAMLFlow inserts f and sets f.CreatedAt; the other fields are
	// written as given. Conflict when the hash exists; NotFound when the
	// group, or the user f.UserID names, does not exist.
	CreateSAMLFlow(ctx context.Context, f *gatehouse.SAMLFlow) error
	// ConsumeSAMLFlow marks the flow with the hash used at now and returns
	// it, with UsedAt set, whatever its group: the caller checks the group.
	// NotFound when there is none, or it is used or expired at now: of
	// concurrent consumers of one flow exactly one gets it.
	ConsumeSAMLFlow(ctx context.Context, hash []byte, now time.Time) (*gatehouse.SAMLFlow, error)

	// AppendSAMLLog inserts e into its group's SAML log and sets e.ID (and
	// e.At, when zero, to the time of the write). Then, when keep is
	// positive, it deletes all but the group's newest keep entries; keep
	// <= 0 deletes nothing. It is one transaction. Invalid when e breaks
	// Validate (the store neither cuts nor cleans entries: see
	// gatehouse.SAMLLogEntry.Clamp); Conflict when the group's log has an
	// entry with the reference id; NotFound when the group does not exist.
	AppendSAMLLog(ctx context.Context, e *gatehouse.SAMLLogEntry, keep int) error
	// ListSAMLLogs returns a page of the group's SAML log, newest first
	// (Page.AfterID continues below that id), and the total count.
	ListSAMLLogs(ctx context.Context, groupID int64, p Page) ([]*gatehouse.SAMLLogEntry, int, error)
	// FindSAMLLogByReference returns the group's entry with the reference
	// id (exact match). NotFound, also when ref is not of the form of one.
	FindSAMLLogByReference(ctx context.Context, groupID int64, ref string) (*gatehouse.SAMLLogEntry, error)

	// DeleteExpiredSAMLState removes every SAML request, replay-cache
	// entry, flow and session that has expired at now, used or not, in one
	// transaction, and says how many rows of those four kinds it removed
	// (the SSO records and requests that go with a removed session are not
	// counted). Instance keys, SSO records of live sessions and the SAML
	// logs stay. A background sweeper calls it.
	DeleteExpiredSAMLState(ctx context.Context, now time.Time) (int, error)
}

// SignInLimitQueries keeps the counters of failed password sign-ins
// (gatehouse.SignInFailures) that rate-limit sign-in per account and per
// client address. They live in the database, so that every node of an
// instance counts together, and like the SAML sign-in state they never
// read the store's clock: callers pass now, and a window that ends exactly
// at now has ended. A zero now, a window of zero or less, or a key that
// breaks gatehouse.ValidateSignInKey is Invalid, and writes nothing.
type SignInLimitQueries interface {
	// CountSignInFailure adds one failure to the key's counter and returns
	// the counter as it now stands. A key without a counter, or whose
	// window has ended at now, starts a new window at now ending at
	// now+window, with Count 1; otherwise the count grows by one and the
	// window stays. Every call counts once, whatever the number of
	// concurrent callers on any number of stores sharing the database.
	CountSignInFailure(ctx context.Context, key string, window time.Duration, now time.Time) (*gatehouse.SignInFailures, error)
	// ForgiveSignInFailure takes one failure back from the key's counter
	// (an attempt counted before its outcome was known that succeeded).
	// A key without a live counter at now, or with a count of 0, is left
	// as it is, without an error.
	ForgiveSignInFailure(ctx context.Context, key string, now time.Time) error
	// FindSignInFailures returns the key's counter. NotFound when the key
	// has none, or its window has ended at now.
	FindSignInFailures(ctx context.Context, key string, now time.Time) (*gatehouse.SignInFailures, error)
	// ResetSignInFailures removes the counters of the keys (a successful
	// sign-in); keys without one are skipped. It says how many it removed.
	ResetSignInFailures(ctx context.Context, keys ...string) (int, error)
	// DeleteExpiredSignInFailures removes every counter whose window has
	// ended at now and says how many.
	DeleteExpiredSignInFailures(ctx context.Context, now time.Time) (int, error)
}
