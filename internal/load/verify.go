package load

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
)

// Verify checks an acklog against the server: for every key with an
// acknowledged write it reads the user (GET /Users?filter=externalId eq
// "key", concurrency at a time) and compares what it finds with what was
// acknowledged (acklog.Check). A key the server no longer holds, or holds
// in an older state, is lost.
func Verify(ctx context.Context, t *Target, recs []acklog.Record, concurrency int, progress Progress) (acklog.Report, error) {
	exp := acklog.Expect(recs)
	keys := slices.Sorted(maps.Keys(exp))
	rec := newRecorder("verify", "", len(keys))
	stop := progress.watch(rec)
	states := make(map[string]acklog.State, len(keys))
	var (
		mu      sync.Mutex
		next    atomic.Int64
		firstEr error
		wg      sync.WaitGroup
	)
	for range max(concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(keys) {
					return
				}
				k := keys[i]
				path := "/Users?" + url.Values{"filter": {fmt.Sprintf("externalId eq %q", k)}}.Encode()
				u, err := lookup(ctx, t, rec, path)
				mu.Lock()
				switch {
				case err != nil:
					if firstEr == nil {
						firstEr = err
					}
					rec.failed.Add(1)
				case u == nil:
					states[k] = acklog.Gone()
					rec.done.Add(1)
				default:
					states[k] = u.state()
					rec.done.Add(1)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	stop()
	if firstEr != nil {
		return acklog.Report{}, fmt.Errorf("verify: %w", firstEr)
	}
	if err := ctx.Err(); err != nil {
		return acklog.Report{}, err
	}
	return acklog.Check(exp, func(e *acklog.Expectation) (acklog.State, error) {
		return states[e.Key], nil
	})
}
