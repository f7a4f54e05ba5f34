package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testSAMLConfigCRUD puts, replaces, finds and deletes a group's SAML
// configuration, every field included.
func testSAMLConfigCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	c := &gatehouse.SAMLConfig{
		GroupID:      g.ID,
		Enabled:      true,
		IdPEntityID:  "https://idp.example/entity",
		SSOURL:       "https://idp.example/sso?app=gatehouse",
		Certificates: []string{"-----BEGIN CERTIFICATE-----\nMIIBfirst\n-----END CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nMIIBsecond\n-----END CERTIFICATE-----\n"},
		Fingerprints: []string{"a1b2c3", "d4e5f6"},
		MetadataXML:  `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/entity"/>`,
		MetadataURL:  "https://idp.example/metadata",
		// MetadataFetchedAt, the refresh error, the booleans below and
		// ClockSkew change in the replace.
		MetadataFetchedAt:       fixedTime,
		MetadataRefreshError:    "fetching the metadata from https://idp.example/metadata failed: the server answered 503 Service Unavailable",
		MetadataRefreshFailedAt: fixedTime.Add(13 * time.Hour),
		EnforceSSO:              true,
		AllowIdPInitiated:       false,
		CreateUsers:             true,
		ClockSkew:               90 * time.Second,
	}
	must(t, "PutSAMLConfig(insert)", s.PutSAMLConfig(ctx, c))
	checkStamp(t, "PutSAMLConfig CreatedAt", c.CreatedAt)
	checkStamp(t, "PutSAMLConfig UpdatedAt", c.UpdatedAt)
	got, err := s.FindSAMLConfig(ctx, g.ID)
	wantFound(t, "FindSAMLConfig", got, err, c)

	re := &gatehouse.SAMLConfig{
		GroupID:           g.ID,
		IdPEntityID:       "https://other-idp.example",
		SSOURL:            "https://other-idp.example/sso",
		Fingerprints:      []string{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		AllowIdPInitiated: true,
		ClockSkew:         1500 * time.Millisecond,
	}
	must(t, "PutSAMLConfig(replace)", s.PutSAMLConfig(ctx, re))
	checkStamp(t, "PutSAMLConfig (replace) UpdatedAt", re.UpdatedAt)
	got, err = s.FindSAMLConfig(ctx, g.ID)
	wantFound(t, "FindSAMLConfig after the replace", got, err, re)

	must(t, "DeleteSAMLConfig", s.DeleteSAMLConfig(ctx, g.ID))
	_, err = s.FindSAMLConfig(ctx, g.ID)
	wantKind(t, "FindSAMLConfig after DeleteSAMLConfig", err, gatehouse.NotFound)
	wantKind(t, "DeleteSAMLConfig again", s.DeleteSAMLConfig(ctx, g.ID), gatehouse.NotFound)

	// A configuration may be put again after its deletion.
	must(t, "PutSAMLConfig after DeleteSAMLConfig", s.PutSAMLConfig(ctx, c))
	got, err = s.FindSAMLConfig(ctx, g.ID)
	wantFound(t, "FindSAMLConfig after putting it again", got, err, c)
}

// testSAMLMetadataRefreshError records, replaces and clears a group's
// failed metadata refresh, which changes no other field, UpdatedAt and
// MetadataFetchedAt included; PutSAMLConfig replaces it as any field.
func testSAMLMetadataRefreshError(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	c := &gatehouse.SAMLConfig{
		GroupID:           g.ID,
		Enabled:           true,
		IdPEntityID:       "https://idp.example/entity",
		SSOURL:            "https://idp.example/sso",
		Certificates:      []string{"-----BEGIN CERTIFICATE-----\nMIIBfirst\n-----END CERTIFICATE-----\n"},
		MetadataXML:       `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/entity"/>`,
		MetadataURL:       "https://idp.example/metadata",
		MetadataFetchedAt: fixedTime,
		ClockSkew:         time.Minute,
	}
	must(t, "PutSAMLConfig", s.PutSAMLConfig(ctx, c))
	want := *c

	for _, tc := range []struct {
		name string
		msg  string
		at   time.Time
	}{
		{"record", "fetching the metadata failed: the server answered 500 Internal Server Error", fixedTime.Add(12 * time.Hour)},
		{"record another", "IdP metadata: validUntil has passed, ünïcode kept", fixedTime.Add(13*time.Hour + time.Microsecond)},
		{"clear", "", time.Time{}},
		{"record again", "the metadata names another entity ID", fixedTime.Add(14 * time.Hour)},
	} {
		call := "SetSAMLMetadataRefreshError(" + tc.name + ")"
		must(t, call, s.SetSAMLMetadataRefreshError(ctx, g.ID, tc.msg, tc.at))
		want.MetadataRefreshError, want.MetadataRefreshFailedAt = tc.msg, tc.at
		got, err := s.FindSAMLConfig(ctx, g.ID)
		wantFound(t, "FindSAMLConfig after "+call, got, err, &want)
	}
	// Inside a transaction, with the configuration read in it.
	err := s.InTx(ctx, func(q store.Queries) error {
		if _, err := q.FindSAMLConfig(ctx, g.ID); err != nil {
			return err
		}
		return q.SetSAMLMetadataRefreshError(ctx, g.ID, "in a transaction", fixedTime.Add(15*time.Hour))
	})
	must(t, "InTx(SetSAMLMetadataRefreshError)", err)
	want.MetadataRefreshError, want.MetadataRefreshFailedAt = "in a transaction", fixedTime.Add(15*time.Hour)
	got, err := s.FindSAMLConfig(ctx, g.ID)
	wantFound(t, "FindSAMLConfig after InTx(SetSAMLMetadataRefreshError)", got, err, &want)

	// A put without a refresh error, as a good refresh or a new
	// configuration makes, clears it.
	must(t, "PutSAMLConfig(without a refresh error)", s.PutSAMLConfig(ctx, c))
	got, err = s.FindSAMLConfig(ctx, g.ID)
	wantFound(t, "FindSAMLConfig after PutSAMLConfig", got, err, c)
	if got.MetadataRefreshError != "" || !got.MetadataRefreshFailedAt.IsZero() {
		t.Errorf("FindSAMLConfig after PutSAMLConfig: refresh error %q at %v, want none", got.MetadataRefreshError, got.MetadataRefreshFailedAt)
	}

	// Invalid values are refused and change nothing.
	for _, tc := range []struct {
		name string
		msg  string
		at   time.Time
	}{
		{"message without a time", "failed", time.Time{}},
		{"time without a message", "", fixedTime},
		{"message too long", strings.Repeat("x", gatehouse.MetadataRefreshErrorLimit+1), fixedTime},
		{"message not UTF-8", "bad \xff byte", fixedTime},
		{"message with a NUL", "a\x00b", fixedTime},
		{"message of two lines", "one\ntwo", fixedTime},
	} {
		call := "SetSAMLMetadataRefreshError(" + tc.name + ")"
		wantKind(t, call, s.SetSAMLMetadataRefreshError(ctx, g.ID, tc.msg, tc.at), gatehouse.Invalid)
		got, err := s.FindSAMLConfig(ctx, g.ID)
		wantFound(t, "FindSAMLConfig after "+call, got, err, c)
	}
}

// testAuditCRUD writes audit events and lists them newest first, per group
// and for the instance.
func testAuditCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")

	e1 := &gatehouse.AuditEvent{
		GroupID: g.ID, ActorKind: gatehouse.ActorUser, ActorID: u.ID,
		Action: "saml.configure", TargetKind: "group", TargetID: fmt.Sprint(g.ID), RequestID: "req-1",
		Detail: json.RawMessage(`{"enabled":true,"fingerprints":["a1"],"skew":{"seconds":60}}`),
	}
	must(t, "CreateAuditEvent(acme, no time)", s.CreateAuditEvent(ctx, e1))
	if e1.ID <= 0 {
		t.Fatalf("CreateAuditEvent set ID = %d, want > 0", e1.ID)
	}
	checkStamp(t, "CreateAuditEvent At (set by the store)", e1.At)
	e2 := &gatehouse.AuditEvent{
		At: fixedTime, GroupID: g.ID, ActorKind: gatehouse.ActorSCIMToken, ActorID: 7,
		Action: "scim.user.create", TargetKind: "user", TargetID: "scim-1",
	}
	must(t, "CreateAuditEvent(acme, a given time)", s.CreateAuditEvent(ctx, e2))
	if !e2.At.Equal(fixedTime) {
		t.Errorf("CreateAuditEvent changed a given At to %v, want %v", e2.At, fixedTime)
	}
	inst := &gatehouse.AuditEvent{ActorKind: gatehouse.ActorSystem, Action: "instance.start"}
	must(t, "CreateAuditEvent(instance)", s.CreateAuditEvent(ctx, inst))
	e3 := &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorSystem, Action: "saml.metadata.refresh"}
	must(t, "CreateAuditEvent(acme, third)", s.CreateAuditEvent(ctx, e3))

	list, total, err := s.ListAuditEvents(ctx, g.ID, store.Page{Limit: 10})
	wantFound(t, "ListAuditEvents(acme)", list, err, []*gatehouse.AuditEvent{e3, e2, e1})
	wantTotal(t, "ListAuditEvents(acme)", total, 3)
	list, total, err = s.ListAuditEvents(ctx, 0, store.Page{Limit: 10})
	wantFound(t, "ListAuditEvents(instance)", list, err, []*gatehouse.AuditEvent{inst})
	wantTotal(t, "ListAuditEvents(instance)", total, 1)
	list, total, err = s.ListAuditEvents(ctx, g.ID, store.Page{Limit: 10, AfterID: e3.ID})
	wantFound(t, "ListAuditEvents(acme, after the newest)", list, err, []*gatehouse.AuditEvent{e2, e1})
	wantTotal(t, "ListAuditEvents(acme, after the newest)", total, 3)
}
