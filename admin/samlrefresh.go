package admin

import (
	"context"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/samlfetch"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MetadataRefresh is what RefreshSAMLMetadata did for one group.
type MetadataRefresh struct {
	GroupID int64
	Path    string
	// Added are the SHA-256 fingerprints of signing certificates the
	// refresh trusted for the first time.
	Added []string
	// Err is why the refresh failed; the last good metadata stays in use.
	Err error
	// RecordErr is why Err could not be recorded on the configuration,
	// for the caller to log.
	RecordErr error
}

// RefreshSAMLMetadata fetches again the metadata of every group configured
// by URL whose copy is older than MetadataRefreshInterval (decision 41). A
// good refresh stores the new metadata and SSO URL and clears a failure
// recorded before; a signing certificate it brings is trusted next to the
// ones already trusted (the IdP may still sign with them) and recorded
// with a "saml_certificate_added" audit event. A refresh that fails
// (unreachable, not metadata, expired, or naming another entity ID) keeps
// the group's last good copy and records why and when on the
// configuration, for saml show and the settings page to warn about
// (SAMLWarnings); the result's Err says why too, for the caller to log.
// The copy stays as old, so the next call tries again. It returns only the
// groups it tried.
func (s *Service) RefreshSAMLMetadata(ctx context.Context, a Actor) ([]MetadataRefresh, error) {
	var out []MetadataRefresh
	var after int64
	for {
		groups, _, err := s.Store.ListGroups(ctx, store.Page{AfterID: after, Limit: 100})
		if err != nil {
			return out, err
		}
		if len(groups) == 0 {
			return out, nil
		}
		for _, g := range groups {
			after = g.ID
			c, err := s.Store.FindSAMLConfig(ctx, g.ID)
			if gatehouse.IsKind(err, gatehouse.NotFound) {
				continue
			}
			if err != nil {
				return out, err
			}
			if c.MetadataURL == "" || s.now().Sub(c.MetadataFetchedAt) < MetadataRefreshInterval {
				continue
			}
			out = append(out, s.refreshGroup(ctx, a, g, c))
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
}

// refreshGroup refreshes the configuration of g, read as old. The fetch
// runs outside any transaction (no network I/O inside one).
func (s *Service) refreshGroup(ctx context.Context, a Actor, g *gatehouse.Group, old *gatehouse.SAMLConfig) MetadataRefresh {
	r := MetadataRefresh{GroupID: g.ID, Path: g.Path}
	data, idp, now, err := s.fetchMetadata(ctx, old)
	switch {
	case err == nil:
		r.Added, r.Err = s.storeRefresh(ctx, a, old, data, idp, now)
	case ctx.Err() != nil:
		r.Err = err // cut short by shutdown: not the IdP's failure
	default:
		r.Err = err
		r.RecordErr = s.recordRefreshFailure(ctx, a, old, err)
	}
	return r
}

// fetchMetadata fetches the metadata of the configuration read as old and
// checks it, at the time it returns.
func (s *Service) fetchMetadata(ctx context.Context, old *gatehouse.SAMLConfig) ([]byte, saml.IdP, time.Time, error) {
	data, err := samlfetch.Fetch(ctx, s.metadataClient(), old.MetadataURL)
	if err != nil {
		return nil, saml.IdP{}, time.Time{}, err
	}
	now := s.now()
	idp, err := parseMetadata(data, now)
	if err != nil {
		return nil, saml.IdP{}, time.Time{}, err
	}
	if idp.EntityID != old.IdPEntityID {
		return nil, saml.IdP{}, time.Time{}, gatehouse.Errorf(gatehouse.Invalid,
			"the metadata at %s now names the entity ID %q instead of %q; run saml configure again if the IdP really changed", old.MetadataURL, idp.EntityID, old.IdPEntityID)
	}
	return data, idp, now, nil
}

// unchanged reports whether the configuration c, read in a transaction
// that holds the group's lock, is still the one a refresh started from,
// old: the owner has not reconfigured it and no other refresh has stored
// a copy since (each would have set UpdatedAt, through PutSAMLConfig). A
// recorded failure leaves UpdatedAt alone, so that it never stops a good
// refresh.
func unchanged(c, old *gatehouse.SAMLConfig) bool {
	return c.MetadataURL == old.MetadataURL && c.UpdatedAt.Equal(old.UpdatedAt)
}

// storeRefresh stores the metadata data, fetched and checked at now, on
// the configuration read as old, unless it changed meanwhile.
func (s *Service) storeRefresh(ctx context.Context, a Actor, old *gatehouse.SAMLConfig, data []byte, idp saml.IdP, now time.Time) ([]string, error) {
	var added []string
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		added = nil
		if err := q.LockGroup(ctx, old.GroupID); err != nil {
			return err
		}
		c, err := q.FindSAMLConfig(ctx, old.GroupID)
		if err != nil {
			return err
		}
		// The owner reconfigured meanwhile: that configuration wins.
		if !unchanged(c, old) {
			return nil
		}
		for _, cert := range idp.Certificates {
			before := len(c.Certificates)
			c.Certificates = appendCert(c.Certificates, cert)
			if len(c.Certificates) > before {
				added = append(added, saml.Fingerprint(cert, false))
			}
		}
		c.SSOURL = idp.SSOURL
		c.MetadataXML = string(data)
		c.MetadataFetchedAt = now
		c.MetadataRefreshError, c.MetadataRefreshFailedAt = "", time.Time{}
		if err := q.PutSAMLConfig(ctx, c); err != nil {
			return err
		}
		if len(added) == 0 {
			return nil
		}
		return s.audit(ctx, q, a, c.GroupID, "saml_certificate_added", "saml_config", c.GroupID, map[string]any{
			"source":       "metadata_refresh",
			"metadata_url": c.MetadataURL,
			"added":        added,
			"certificates": certFingerprints(c.Certificates),
		})
	})
	return added, err
}

// recordRefreshFailure records on the configuration read as old that its
// refresh failed with cause, now, unless the configuration changed
// meanwhile (what changed it is newer than this failure) or is gone. It
// writes through SetSAMLMetadataRefreshError, which changes neither
// UpdatedAt (a good refresh fetched meanwhile on another node still
// lands) nor MetadataFetchedAt (the next run tries again). A
// "saml_metadata_refresh_failed" audit event is recorded when the message
// differs from the one recorded already, so a failure that lasts is one
// event, not one an hour.
func (s *Service) recordRefreshFailure(ctx context.Context, a Actor, old *gatehouse.SAMLConfig, cause error) error {
	msg := gatehouse.ClampMetadataRefreshError(gatehouse.ErrorMessage(cause))
	now := s.now()
	return s.Store.InTx(ctx, func(q store.Queries) error {
		var c *gatehouse.SAMLConfig
		err := q.LockGroup(ctx, old.GroupID)
		if err == nil {
			c, err = q.FindSAMLConfig(ctx, old.GroupID)
		}
		switch {
		case gatehouse.IsKind(err, gatehouse.NotFound):
			return nil // the group or its configuration is gone
		case err != nil:
			return err
		case !unchanged(c, old):
			return nil
		}
		if err := q.SetSAMLMetadataRefreshError(ctx, c.GroupID, msg, now); err != nil {
			return err
		}
		if msg == c.MetadataRefreshError {
			return nil
		}
		return s.audit(ctx, q, a, c.GroupID, "saml_metadata_refresh_failed", "saml_config", c.GroupID, map[string]any{
			"metadata_url":        c.MetadataURL,
			"error":               msg,
			"metadata_fetched_at": c.MetadataFetchedAt,
		})
	})
}
