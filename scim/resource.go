package scim

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Meta is what a resource's meta attribute reports.
type Meta struct {
	Created      time.Time // omitted when zero
	LastModified time.Time // omitted when zero
	Location     string    // the resource's absolute URL; omitted when ""
	Version      string    // the entity tag, as ETag makes it (W/"3"); omitted when ""
}

// TimeLayout is how SCIM times are written: RFC 3339 in UTC with exactly
// six fractional digits, the microsecond precision Gatehouse stores
// (behaviour decision 22), e.g. 2026-12-04T17:00:00.123456Z.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime writes t in UTC in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ETag returns the weak entity tag of a resource version, W/"<version>", as
// meta.version and the ETag header carry it.
func ETag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// render returns m as the JSON object of a meta attribute.
func (m Meta) render(resourceType string) map[string]any {
	out := map[string]any{"resourceType": resourceType}
	if !m.Created.IsZero() {
		out["created"] = FormatTime(m.Created)
	}
	if !m.LastModified.IsZero() {
		out["lastModified"] = FormatTime(m.LastModified)
	}
	if m.Location != "" {
		out["location"] = m.Location
	}
	if m.Version != "" {
		out["version"] = m.Version
	}
	return out
}

// UserResource builds the User resource Gatehouse answers with from a
// canonical document (UserDoc.Doc, as stored): schemas (the User URN, then the
// enterprise URN when the document has enterprise data, then every other
// URN whose value is an object, sorted), id, externalId (omitted when ""),
// every attribute of doc (userName exactly as the IdP sent it), active, and
// meta with resourceType "User". Values of doc for id, externalId, active,
// meta, schemas, groups and password are never used; password is never
// returned. The result shares nothing with doc.
func UserResource(doc map[string]any, id, externalID string, active bool, meta Meta) map[string]any {
	out := make(map[string]any, len(doc)+5)
	var extensions []string
	for k, v := range doc {
		switch k {
		case "id", "externalId", "active", "meta", "schemas", "groups", "password":
			continue
		}
		out[k] = deepCopy(v)
		if _, isObj := v.(map[string]any); isObj && isURN(k) && k != EnterpriseUserSchema {
			extensions = append(extensions, k)
		}
	}
	schemas := []string{UserSchema}
	if _, ok := doc[EnterpriseUserSchema].(map[string]any); ok {
		schemas = append(schemas, EnterpriseUserSchema)
	}
	slices.Sort(extensions)
	out["schemas"] = append(schemas, extensions...)
	out["id"] = id
	if externalID != "" {
		out["externalId"] = externalID
	}
	out["active"] = active
	out["meta"] = meta.render("User")
	return out
}

// ListResponse builds a ListResponse message (RFC 7644 §3.4.2): totalResults
// is total (all matches, not only this page), startIndex is echoed,
// itemsPerPage is len(resources), and Resources is always present, [] when
// there are none, as Okta and Microsoft's tests require.
func ListResponse(resources []map[string]any, total, startIndex int) map[string]any {
	if resources == nil {
		resources = []map[string]any{}
	}
	return map[string]any{
		"schemas":      []string{ListResponseSchema},
		"totalResults": total,
		"startIndex":   startIndex,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
}

// Paging defaults and limits (behaviour decision 3).
const (
	DefaultCount = 100
	MaxCount     = 1000
	// maxStartIndex bounds startIndex so that offsets stay well inside
	// every database's integer range; a larger value just finds nothing.
	maxStartIndex = 1<<31 - 1
)

// ParsePage reads the startIndex and count query parameters (behaviour
// decision 3). startIndex is 1-based: absent or blank gives 1, below 1 is
// taken as 1, and values beyond 2147483647 are capped there. count absent
// or blank gives DefaultCount, above MaxCount is capped to MaxCount, and a
// negative count is 0 (only totalResults is wanted). A value that is not an
// integer is a 400 invalidValue *Error naming the parameter.
func ParsePage(startIndex, count string) (start, n int, err error) {
	start, err = parseBounded("startIndex", startIndex, 1, 1, maxStartIndex)
	if err != nil {
		return 0, 0, err
	}
	n, err = parseBounded("count", count, DefaultCount, 0, MaxCount)
	if err != nil {
		return 0, 0, err
	}
	return start, n, nil
}

// parseBounded parses a decimal integer parameter, clamping it to [lo, hi];
// integers too large for int64 clamp as well.
func parseBounded(name, s string, def, lo, hi int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if !errors.Is(err, strconv.ErrRange) {
			return 0, Errorf(statusBadRequest, InvalidValue, "%s must be an integer, got %q", name, truncate(s, 40))
		}
	}
	switch {
	case v < int64(lo):
		return lo, nil
	case v > int64(hi):
		return hi, nil
	}
	return int(v), nil
}
