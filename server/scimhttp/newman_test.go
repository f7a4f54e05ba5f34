package scimhttp_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/newman"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// NewmanEnv switches on the run of Microsoft's SCIM collection; CI sets it,
// which makes the run mandatory there.
const NewmanEnv = "GATEHOUSE_TEST_NEWMAN"

// The reasons Gatehouse departs from Microsoft's collection; README.md gives
// the same list.
const (
	// The collection sends one literal externalId for every user it creates.
	// The externalId is the identity's extern_uid, which must equal the SAML
	// NameID, so a second live user with it is a 409 (behaviour.md decisions
	// 7 and 8): those users are never created, and every later step that
	// reads, counts, filters or deletes them fails too.
	sharedExternalID = "one externalId shared by many users is refused with 409 (decisions 7, 8)"
	// PATCH answers 200 with the full resource (decision 5; RFC 7644 allows
	// 200 or 204, and Entra and Okta accept both); the collection insists on 204.
	patchAnswers200 = "PATCH answers 200 with the resource, not 204 (decision 5)"
	// After OMalley is deactivated, "Post emp3" arrives with OMalley's
	// externalId: a POST for an inactive identity re-provisions that person
	// (decision 9), so it answers 201 (not 409) and OMalley's userName becomes
	// emp3 — which is also why "userName sw O" then finds nobody.
	reAddReactivates = "a POST with a deactivated user's externalId re-provisions that user (decision 9)"
)

// deviations are the collection's assertions Gatehouse fails on purpose,
// with the reason. Keys are "folder / request / assertion". Any other failure
// fails the test, and so does a deviation that starts passing (README.md
// must then change).
var deviations = map[string]string{
	"ComplexAttribute tests / Delete User1 / Status code is 204":                            sharedExternalID,
	"ComplexAttribute tests / Delete User2 / Status code is 204":                            sharedExternalID,
	"ComplexAttribute tests / Get user attributes / Body contians User1 email":              sharedExternalID,
	"ComplexAttribute tests / Get user via attributes filter / Body contians User1 email":   sharedExternalID,
	"ComplexAttribute tests / create user1 / Status code is 201":                            sharedExternalID,
	"ComplexAttribute tests / create user2 / Status code is 201":                            sharedExternalID,
	"Group tests / Create user 4 for group 2 / Status code is 201":                          sharedExternalID,
	"Group tests / Delete user id3 / Status code is 204":                                    sharedExternalID,
	"Group tests / Delete user id4 / Status code is 204":                                    sharedExternalID,
	"Group tests / Validate group 3 / Body contians user id3":                               sharedExternalID,
	"Group tests / Get group by id / Body contians user":                                    sharedExternalID,
	"Group tests / create user for group 2 / Status code is 201":                            sharedExternalID,
	"Teardown garbage / Delete enterprise user / Status code is 204":                        sharedExternalID,
	"Teardown garbage / Delete user 2 / Status code is 204":                                 sharedExternalID,
	"Teardown garbage / Delete user3 emp2 / Status code is 204":                             sharedExternalID,
	"Teardown garbage / Delete user4 emp3 / Status code is 204":                             sharedExternalID,
	"User tests / Delete user2 / Status code is 204":                                        sharedExternalID,
	"User tests / Get user2 / Id is requsted":                                               sharedExternalID,
	"User tests / Get user2 / Status code is 200":                                           sharedExternalID,
	"User tests / Get user2 Check replace / Name is updated":                                sharedExternalID,
	"User tests / Get user2 Check replace / Status code is 200":                             sharedExternalID,
	"User tests / Post EnterpriseUser / Status code is 201":                                 sharedExternalID,
	"User tests / User 2 replace test / Status code is 200":                                 sharedExternalID,
	"User tests with garbage / Get all users / Results have 2 users":                        sharedExternalID,
	"User tests with garbage / Paginate / JSON Assertion items per page":                    sharedExternalID,
	"User tests with garbage / Paginate / Total results":                                    sharedExternalID,
	"User tests with garbage / Patch user omalley new username / Status code is 204":        patchAnswers200,
	"User tests with garbage / Post emp1 with string \"True\" / Active properly set":        sharedExternalID,
	"User tests with garbage / Post emp1 with string \"True\" / Status code is 201":         sharedExternalID,
	"User tests with garbage / Post emp2 / Status code is 201":                              sharedExternalID,
	"User tests with garbage / Post emp3 / Status code is 201":                              sharedExternalID,
	"User tests with garbage / Post emp3 exists try again / Body contians Error detial":     reAddReactivates,
	"User tests with garbage / Post emp3 exists try again / Status code is 409":             reAddReactivates,
	"User tests with garbage / filter eq and (val or val) / Total results":                  sharedExternalID,
	"User tests with garbage / filter greater than / Total results":                         sharedExternalID,
	"User tests with garbage / filter starts with / Total results":                          reAddReactivates,
	"User tests with garbage / get user attributes / Total results":                         sharedExternalID,
	"User tests with garbage / patch user omalley active with boolean / Status code is 204": patchAnswers200,
}

// TestMicrosoftCollection runs Microsoft's SCIM test collection with newman
// against a fresh server and checks that exactly the known deviations fail.
func TestMicrosoftCollection(t *testing.T) {
	if os.Getenv(NewmanEnv) == "" {
		t.Skipf("%s is not set; CI runs Microsoft's SCIM collection", NewmanEnv)
	}
	e := newEnv(t, sqlitestoretest.Open(t))
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := newman.Run(ctx, newman.Options{
		Protocol: u.Scheme,
		Server:   u.Hostname(),
		Port:     ":" + u.Port(),
		API:      strings.TrimPrefix(e.byID(), e.url+"/"),
		Token:    e.token,
	})
	if err != nil {
		t.Fatalf("newman: %v", err)
	}
	failed := map[string]string{}
	for _, f := range res.Failures {
		failed[fmt.Sprintf("%s / %s / %s", f.Folder, f.Item, f.Assertion)] = f.Message
	}
	t.Logf("Microsoft SCIM collection: %d requests, %d assertions, %d passed, %d failed (%d known deviations)",
		res.Requests, res.Assertions, res.Assertions-res.Failed, res.Failed, len(deviations))
	var keys []string
	for k := range failed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, known := deviations[k]; !known {
			t.Errorf("unexpected failure: %s: %s", k, failed[k])
		}
	}
	for k := range deviations {
		if _, ok := failed[k]; !ok {
			t.Errorf("known deviation now passes, update deviations and README.md: %s", k)
		}
	}
}
