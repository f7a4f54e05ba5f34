package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Person is someone of the demo IdP's directory.
type Person struct {
	ExternalID string // also the SAML NameID
	UserName   string
	GivenName  string
	FamilyName string
	Email      string
}

// Samples are the people "Provision sample users" sends over SCIM.
var Samples = []Person{
	{ExternalID: "00u1ada7demo", UserName: "ada@demo.example", GivenName: "Ada", FamilyName: "Lovelace", Email: "ada@demo.example"},
	{ExternalID: "00u2grace5demo", UserName: "grace@demo.example", GivenName: "Grace", FamilyName: "Hopper", Email: "grace@demo.example"},
	{ExternalID: "00u3linus9demo", UserName: "linus@demo.example", GivenName: "Linus", FamilyName: "Torvalds", Email: "linus@demo.example"},
}

// User is a SCIM user of the demo group, as the simulator lists it.
type User struct {
	SCIMID   string
	NameID   string // the extern_uid: what the IdP sends as NameID
	UserName string
	Name     string
	Email    string
	Active   bool
}

// MaxUsers is how many of the demo group's SCIM users the simulator lists.
const MaxUsers = 200

// Users lists the demo group's SCIM users, in the order they were made.
func (d *Demo) Users(ctx context.Context) ([]User, error) {
	list, _, err := d.cfg.Store.ListSCIMIdentities(ctx, d.group.ID, nil, store.Page{Limit: MaxUsers})
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(list))
	for _, si := range list {
		name := strings.TrimSpace(si.GivenName + " " + si.FamilyName)
		if name == "" {
			name = si.DisplayName
		}
		out = append(out, User{SCIMID: si.SCIMID, NameID: si.ExternUID, UserName: si.UserName, Name: name,
			Email: si.Email, Active: si.State != gatehouse.IdentityInactive})
	}
	return out, nil
}

// ProvisionSamples sends the Samples to the demo group's SCIM endpoint as
// Okta does: it looks each person up by externalId, creates those it does
// not find (POST) and reactivates those it finds deactivated (PATCH). It
// returns how many it created or reactivated.
func (d *Demo) ProvisionSamples(ctx context.Context) (int, error) {
	n := 0
	for _, p := range Samples {
		filter := url.QueryEscape(fmt.Sprintf("externalId eq %q", p.ExternalID))
		var list struct {
			Resources []struct {
				ID     string `json:"id"`
				Active bool   `json:"active"`
			}
		}
		if err := d.scim(ctx, http.MethodGet, "/Users?filter="+filter, nil, http.StatusOK, &list); err != nil {
			return n, err
		}
		switch {
		case len(list.Resources) == 0:
			body := map[string]any{
				"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
				"externalId": p.ExternalID,
				"userName":   p.UserName,
				"name":       map[string]string{"givenName": p.GivenName, "familyName": p.FamilyName},
				"emails":     []map[string]any{{"value": p.Email, "type": "work", "primary": true}},
				"active":     true,
			}
			if err := d.scim(ctx, http.MethodPost, "/Users", body, http.StatusCreated, nil); err != nil {
				return n, err
			}
			n++
		case !list.Resources[0].Active:
			if err := d.SetActive(ctx, list.Resources[0].ID, true); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// SetActive deactivates (active false: the person is deprovisioned, as
// when unassigned in an IdP) or reactivates one of the demo group's SCIM
// users with a SCIM PATCH.
func (d *Demo) SetActive(ctx context.Context, scimID string, active bool) error {
	body := map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": active}},
	}
	return d.scim(ctx, http.MethodPatch, "/Users/"+url.PathEscape(scimID), body, http.StatusOK, nil)
}

// scim sends one request to the demo group's SCIM endpoint through the
// server's handler, with the demo's token, and decodes the answer into out
// when it has the status want. Any other status is an error with the SCIM
// detail.
func (d *Demo) scim(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	// The request is one of its own: the server keeps per-request state in
	// context values, so it gets the caller's cancellation but none of them.
	r, err := http.NewRequestWithContext(cancelOnly{ctx}, method, d.cfg.BaseURL+"/api/scim/v2/groups/"+d.group.Path+path, rd)
	if err != nil {
		return err
	}
	r.RemoteAddr = "127.0.0.1:0"
	r.Header.Set("Authorization", "Bearer "+d.token)
	r.Header.Set("Accept", "application/scim+json")
	r.Header.Set("User-Agent", "Gatehouse demo IdP (simulator)")
	if body != nil {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	w := httptest.NewRecorder()
	d.cfg.SCIM.ServeHTTP(w, r)
	if w.Code != want {
		var e struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		return fmt.Errorf("demo: SCIM %s %s answered %d: %s", method, path, w.Code, e.Detail)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			return fmt.Errorf("demo: SCIM %s %s: %w", method, path, err)
		}
	}
	return nil
}

// cancelOnly is a context with the cancellation and deadline of its parent
// but none of its values.
type cancelOnly struct{ context.Context }

func (cancelOnly) Value(any) any { return nil }
