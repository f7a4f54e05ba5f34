package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

const samlCols = `group_id, enabled, idp_entity_id, sso_url, certificates, fingerprints, metadata_xml, metadata_url,
	metadata_fetched_at, metadata_refresh_error, metadata_refresh_failed_at, enforce_sso, allow_idp_initiated, create_users,
	clock_skew_ms, created_at, updated_at`

// stringList encodes a list as the JSON array stored for it; nil is [].
func stringList(l []string) (string, error) {
	if l == nil {
		l = []string{}
	}
	b, err := json.Marshal(l)
	return string(b), err
}

// parseStringList decodes a stored JSON array; an empty one is nil, as an
// empty list was before it was stored.
func parseStringList(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// PutSAMLConfig implements store.SAMLConfigQueries.
func (q *queries) PutSAMLConfig(ctx context.Context, c *gatehouse.SAMLConfig) error {
	const op = "PutSAMLConfig"
	if err := c.Validate(); err != nil {
		return err
	}
	certs, err := stringList(c.Certificates)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	fingerprints, err := stringList(c.Fingerprints)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	now := q.clock()
	// A replaced configuration keeps the time it was first created.
	var created time.Time
	err = q.w.QueryRowContext(ctx, `INSERT INTO saml_configs (group_id, enabled, idp_entity_id, sso_url, certificates,
	fingerprints, metadata_xml, metadata_url, metadata_fetched_at, metadata_refresh_error, metadata_refresh_failed_at,
	enforce_sso, allow_idp_initiated, create_users, clock_skew_ms, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
ON CONFLICT (group_id) DO UPDATE SET enabled = excluded.enabled, idp_entity_id = excluded.idp_entity_id,
	sso_url = excluded.sso_url, certificates = excluded.certificates, fingerprints = excluded.fingerprints,
	metadata_xml = excluded.metadata_xml, metadata_url = excluded.metadata_url,
	metadata_fetched_at = excluded.metadata_fetched_at, metadata_refresh_error = excluded.metadata_refresh_error,
	metadata_refresh_failed_at = excluded.metadata_refresh_failed_at, enforce_sso = excluded.enforce_sso,
	allow_idp_initiated = excluded.allow_idp_initiated, create_users = excluded.create_users,
	clock_skew_ms = excluded.clock_skew_ms, updated_at = excluded.updated_at
RETURNING created_at`,
		c.GroupID, c.Enabled, c.IdPEntityID, c.SSOURL, certs,
		fingerprints, c.MetadataXML, c.MetadataURL, q.t(c.MetadataFetchedAt), c.MetadataRefreshError, q.t(c.MetadataRefreshFailedAt),
		c.EnforceSSO, c.AllowIdPInitiated, c.CreateUsers, c.ClockSkew.Milliseconds(), q.t(now)).Scan(timeCol{&created})
	if err != nil {
		return q.fail(ctx, op, err, &onErr{refs: []ref{
			{fkey: "saml_configs_group_id_fkey", table: "groups", noun: "group", id: c.GroupID},
		}})
	}
	c.CreatedAt, c.UpdatedAt = created, now
	c.MetadataFetchedAt = stored(c.MetadataFetchedAt)
	c.MetadataRefreshFailedAt = stored(c.MetadataRefreshFailedAt)
	// The skew is stored in whole milliseconds.
	c.ClockSkew = c.ClockSkew.Truncate(time.Millisecond)
	return nil
}

// scanSAMLConfig reads a row of samlCols. A list that does not decode is an
// error of its own, after a successful Scan.
func scanSAMLConfig(s rowScanner) (*gatehouse.SAMLConfig, error) {
	var (
		c                   gatehouse.SAMLConfig
		certs, fingerprints string
		skewMS              int64
	)
	err := s.Scan(&c.GroupID, &c.Enabled, &c.IdPEntityID, &c.SSOURL, &certs, &fingerprints, &c.MetadataXML, &c.MetadataURL,
		timeCol{&c.MetadataFetchedAt}, &c.MetadataRefreshError, timeCol{&c.MetadataRefreshFailedAt}, &c.EnforceSSO, &c.AllowIdPInitiated, &c.CreateUsers, &skewMS,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if c.Certificates, err = parseStringList(certs); err != nil {
		return nil, fmt.Errorf("decode certificates: %w", err)
	}
	if c.Fingerprints, err = parseStringList(fingerprints); err != nil {
		return nil, fmt.Errorf("decode fingerprints: %w", err)
	}
	c.ClockSkew = time.Duration(skewMS) * time.Millisecond
	return &c, nil
}

// FindSAMLConfig implements store.SAMLConfigQueries.
func (q *queries) FindSAMLConfig(ctx context.Context, groupID int64) (*gatehouse.SAMLConfig, error) {
	const op = "FindSAMLConfig"
	return findOne(ctx, q, op, scanSAMLConfig,
		`SELECT `+samlCols+` FROM saml_configs WHERE group_id = $1`, []any{groupID},
		func() error { return q.notFound(op, "group %d has no SAML configuration", groupID) })
}

// SetSAMLMetadataRefreshError implements store.SAMLConfigQueries.
func (q *queries) SetSAMLMetadataRefreshError(ctx context.Context, groupID int64, msg string, at time.Time) error {
	const op = "SetSAMLMetadataRefreshError"
	if err := gatehouse.ValidateMetadataRefreshError(msg, at); err != nil {
		return err
	}
	res, err := q.w.ExecContext(ctx, `UPDATE saml_configs SET metadata_refresh_error = $2, metadata_refresh_failed_at = $3
WHERE group_id = $1`, groupID, msg, q.t(at))
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "group %d has no SAML configuration", groupID) })
}

// DeleteSAMLConfig implements store.SAMLConfigQueries.
func (q *queries) DeleteSAMLConfig(ctx context.Context, groupID int64) error {
	const op = "DeleteSAMLConfig"
	res, err := q.w.ExecContext(ctx, `DELETE FROM saml_configs WHERE group_id = $1`, groupID)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "group %d has no SAML configuration", groupID) })
}
