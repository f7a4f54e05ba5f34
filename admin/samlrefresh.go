package admin

import (
	"context"

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
}

// RefreshSAMLMetadata fetches again the metadata of every group configured
// by URL whose copy is older than MetadataRefreshInterval (decision 41). A
// good refresh stores the new metadata and SSO URL; a signing certificate
// it brings is trusted next to the ones already trusted (the IdP may still
// sign with them) and recorded with a "saml_certificate_added" audit
// event. A refresh that fails (unreachable, not metadata, expired, or
// naming another entity ID) changes nothing: the group keeps its last good
// copy, and the result's Err says why, for the caller to log. It returns
// only the groups it tried.
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
			r := MetadataRefresh{GroupID: g.ID, Path: g.Path}
			r.Added, r.Err = s.refreshGroup(ctx, a, c)
			out = append(out, r)
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
}

// refreshGroup refreshes one configuration read as old.
func (s *Service) refreshGroup(ctx context.Context, a Actor, old *gatehouse.SAMLConfig) ([]string, error) {
	data, err := samlfetch.Fetch(ctx, s.metadataClient(), old.MetadataURL)
	if err != nil {
		return nil, err
	}
	now := s.now()
	idp, err := parseMetadata(data, now)
	if err != nil {
		return nil, err
	}
	if idp.EntityID != old.IdPEntityID {
		return nil, gatehouse.Errorf(gatehouse.Invalid,
			"the metadata at %s now names the entity ID %q instead of %q; run saml configure again if the IdP really changed", old.MetadataURL, idp.EntityID, old.IdPEntityID)
	}
	var added []string
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		added = nil
		if err := q.LockGroup(ctx, old.GroupID); err != nil {
			return err
		}
		c, err := q.FindSAMLConfig(ctx, old.GroupID)
		if err != nil {
			return err
		}
		// The owner reconfigured meanwhile: that configuration wins.
		if c.MetadataURL != old.MetadataURL || !c.UpdatedAt.Equal(old.UpdatedAt) {
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
