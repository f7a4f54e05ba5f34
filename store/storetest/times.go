package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testTimes checks that times the store sets come back in UTC with
// microsecond precision, that times given in another zone with nanoseconds
// come back as the same instant in UTC truncated to the microsecond, and that
// zero times stay zero.
func testTimes(t *testing.T, s store.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+05:30", 5*60*60+30*60)
	// .123456789 truncates to .123456; rounding would give .123457.
	in := time.Date(2031, 3, 4, 5, 6, 7, 123456789, zone)
	later := time.Date(2032, 12, 31, 23, 59, 59, 999999999, zone)

	g := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")
	u := MustCreateUser(t, s, "alice")
	m := MustPutMember(t, s, g.ID, u.ID, gatehouse.Guest)

	// Times the store sets, as read back.
	gotGroup, err := s.FindGroupByID(ctx, g.ID)
	must(t, "FindGroupByID", err)
	checkStamp(t, "Group.CreatedAt", gotGroup.CreatedAt)
	checkStamp(t, "Group.UpdatedAt", gotGroup.UpdatedAt)
	checkInstant(t, "Group.CreatedAt (as set on create)", gotGroup.CreatedAt, g.CreatedAt)
	gotUser, err := s.FindUserByID(ctx, u.ID)
	must(t, "FindUserByID", err)
	checkStamp(t, "User.CreatedAt", gotUser.CreatedAt)
	checkStamp(t, "User.UpdatedAt", gotUser.UpdatedAt)
	checkInstant(t, "User.CreatedAt (as set on create)", gotUser.CreatedAt, u.CreatedAt)
	gotMember, err := s.FindMember(ctx, g.ID, u.ID)
	must(t, "FindMember", err)
	checkStamp(t, "Member.CreatedAt", gotMember.CreatedAt)
	checkStamp(t, "Member.UpdatedAt", gotMember.UpdatedAt)
	checkInstant(t, "Member.CreatedAt (as set on put)", gotMember.CreatedAt, m.CreatedAt)

	// A SAML identity's last sign-in: given, zero, changed, cleared.
	i := &gatehouse.Identity{GroupID: g.ID, UserID: u.ID, ExternUID: "alice@idp", State: gatehouse.IdentityActive, LastSignIn: in}
	must(t, "CreateIdentity(LastSignIn in UTC+05:30)", s.CreateIdentity(ctx, i))
	gotID, err := s.FindIdentityByUser(ctx, g.ID, u.ID)
	must(t, "FindIdentityByUser", err)
	checkInstant(t, "Identity.LastSignIn", gotID.LastSignIn, in)
	checkStamp(t, "Identity.CreatedAt", gotID.CreatedAt)
	checkStamp(t, "Identity.UpdatedAt", gotID.UpdatedAt)
	i2 := MustCreateIdentity(t, s, g2.ID, u.ID, "alice@idp")
	gotID, err = s.FindIdentityByUser(ctx, g2.ID, u.ID)
	must(t, "FindIdentityByUser", err)
	checkInstant(t, "Identity.LastSignIn never set", gotID.LastSignIn, time.Time{})
	i2.LastSignIn = later
	must(t, "UpdateIdentity(LastSignIn)", s.UpdateIdentity(ctx, i2))
	gotID, err = s.FindIdentityByUser(ctx, g2.ID, u.ID)
	must(t, "FindIdentityByUser", err)
	checkInstant(t, "Identity.LastSignIn after UpdateIdentity", gotID.LastSignIn, later)
	i2.LastSignIn = time.Time{}
	must(t, "UpdateIdentity(LastSignIn zero)", s.UpdateIdentity(ctx, i2))
	gotID, err = s.FindIdentityByUser(ctx, g2.ID, u.ID)
	must(t, "FindIdentityByUser", err)
	checkInstant(t, "Identity.LastSignIn cleared", gotID.LastSignIn, time.Time{})

	// SCIM identity stamps.
	si := MustCreateSCIMIdentity(t, s, g.ID, u.ID, "alice@idp")
	gotSCIM, err := s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
	must(t, "FindSCIMIdentity", err)
	checkStamp(t, "SCIMIdentity.CreatedAt", gotSCIM.CreatedAt)
	checkStamp(t, "SCIMIdentity.UpdatedAt", gotSCIM.UpdatedAt)
	checkInstant(t, "SCIMIdentity.UpdatedAt (as set on create)", gotSCIM.UpdatedAt, si.UpdatedAt)

	// A personal access token's expiry and last use.
	p := &gatehouse.PersonalAccessToken{UserID: u.ID, Name: "expiring", ExpiresAt: in}
	_, p.Hash = gatehouse.NewToken(gatehouse.PATPrefix)
	must(t, "CreatePAT(ExpiresAt in UTC+05:30)", s.CreatePAT(ctx, p))
	gotPAT, err := s.FindPAT(ctx, p.ID)
	must(t, "FindPAT", err)
	checkInstant(t, "PersonalAccessToken.ExpiresAt", gotPAT.ExpiresAt, in)
	checkInstant(t, "PersonalAccessToken.LastUsedAt never used", gotPAT.LastUsedAt, time.Time{})
	checkStamp(t, "PersonalAccessToken.CreatedAt", gotPAT.CreatedAt)
	must(t, "TouchPAT(UTC+05:30)", s.TouchPAT(ctx, p.ID, later))
	gotPAT, err = s.FindPAT(ctx, p.ID)
	must(t, "FindPAT", err)
	checkInstant(t, "PersonalAccessToken.LastUsedAt", gotPAT.LastUsedAt, later)
	_, forever := MustCreatePAT(t, s, u.ID, "forever")
	gotPAT, err = s.FindPAT(ctx, forever.ID)
	must(t, "FindPAT", err)
	checkInstant(t, "PersonalAccessToken.ExpiresAt never", gotPAT.ExpiresAt, time.Time{})

	// A SCIM token's last use.
	_, tok := MustCreateSCIMToken(t, s, g.ID)
	gotTok, err := s.FindSCIMTokenByHash(ctx, tok.Hash)
	must(t, "FindSCIMTokenByHash", err)
	checkStamp(t, "SCIMToken.CreatedAt", gotTok.CreatedAt)
	checkInstant(t, "SCIMToken.LastUsedAt never used", gotTok.LastUsedAt, time.Time{})
	must(t, "TouchSCIMToken(UTC+05:30)", s.TouchSCIMToken(ctx, tok.ID, in))
	gotTok, err = s.FindSCIMTokenByHash(ctx, tok.Hash)
	must(t, "FindSCIMTokenByHash", err)
	checkInstant(t, "SCIMToken.LastUsedAt", gotTok.LastUsedAt, in)

	// A SAML configuration's metadata fetch time, given and zero.
	c := &gatehouse.SAMLConfig{GroupID: g.ID, IdPEntityID: "https://idp.example", SSOURL: "https://idp.example/sso",
		Fingerprints: []string{"ab"}, MetadataFetchedAt: in}
	must(t, "PutSAMLConfig(MetadataFetchedAt in UTC+05:30)", s.PutSAMLConfig(ctx, c))
	gotConfig, err := s.FindSAMLConfig(ctx, g.ID)
	must(t, "FindSAMLConfig", err)
	checkInstant(t, "SAMLConfig.MetadataFetchedAt", gotConfig.MetadataFetchedAt, in)
	checkStamp(t, "SAMLConfig.CreatedAt", gotConfig.CreatedAt)
	checkStamp(t, "SAMLConfig.UpdatedAt", gotConfig.UpdatedAt)
	c.MetadataFetchedAt = time.Time{}
	must(t, "PutSAMLConfig(MetadataFetchedAt zero)", s.PutSAMLConfig(ctx, c))
	gotConfig, err = s.FindSAMLConfig(ctx, g.ID)
	must(t, "FindSAMLConfig", err)
	checkInstant(t, "SAMLConfig.MetadataFetchedAt cleared", gotConfig.MetadataFetchedAt, time.Time{})
	// Its failed refresh's time, given and cleared.
	must(t, "SetSAMLMetadataRefreshError(UTC+05:30)", s.SetSAMLMetadataRefreshError(ctx, g.ID, "failed", later))
	gotConfig, err = s.FindSAMLConfig(ctx, g.ID)
	must(t, "FindSAMLConfig", err)
	checkInstant(t, "SAMLConfig.MetadataRefreshFailedAt", gotConfig.MetadataRefreshFailedAt, later)
	must(t, "SetSAMLMetadataRefreshError(cleared)", s.SetSAMLMetadataRefreshError(ctx, g.ID, "", time.Time{}))
	gotConfig, err = s.FindSAMLConfig(ctx, g.ID)
	must(t, "FindSAMLConfig", err)
	checkInstant(t, "SAMLConfig.MetadataRefreshFailedAt cleared", gotConfig.MetadataRefreshFailedAt, time.Time{})

	// An audit event's time, given and set by the store.
	e := &gatehouse.AuditEvent{At: in, GroupID: g2.ID, ActorKind: gatehouse.ActorSystem, Action: "given"}
	must(t, "CreateAuditEvent(At in UTC+05:30)", s.CreateAuditEvent(ctx, e))
	e2 := &gatehouse.AuditEvent{GroupID: g2.ID, ActorKind: gatehouse.ActorSystem, Action: "now"}
	must(t, "CreateAuditEvent(At zero)", s.CreateAuditEvent(ctx, e2))
	events, _, err := s.ListAuditEvents(ctx, g2.ID, store.Page{Limit: 10})
	must(t, "ListAuditEvents", err)
	if len(events) != 2 {
		t.Fatalf("ListAuditEvents = %d events, want 2", len(events))
	}
	checkStamp(t, "AuditEvent.At set by the store", events[0].At)
	checkInstant(t, "AuditEvent.At given", events[1].At, in)
}
