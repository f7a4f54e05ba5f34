package scimhttp

import (
	"testing"
	"time"
)

func TestRateLimiterTake(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	type step struct {
		group int64
		at    time.Duration // after t0
		ok    bool
		wait  time.Duration // when refused
	}
	tests := []struct {
		name  string
		rate  float64
		steps []step
	}{
		{"a second's worth at once, then one per 1/rate", 2, []step{
			{1, 0, true, 0}, {1, 0, true, 0}, {1, 0, false, 500 * time.Millisecond},
			{1, 250 * time.Millisecond, false, 250 * time.Millisecond},
			{1, 500 * time.Millisecond, true, 0}, {1, 500 * time.Millisecond, false, 500 * time.Millisecond},
		}},
		{"groups do not share", 1, []step{
			{1, 0, true, 0}, {1, 0, false, time.Second}, {2, 0, true, 0}, {2, 0, false, time.Second}, {3, 0, true, 0},
		}},
		{"an idle group refills to the burst, not beyond", 3, []step{
			{1, 0, true, 0}, {1, time.Hour, true, 0}, {1, time.Hour, true, 0}, {1, time.Hour, true, 0},
			{1, time.Hour, false, time.Second / 3},
		}},
		{"below one per second, one at once", 0.5, []step{
			{1, 0, true, 0}, {1, time.Second, false, time.Second}, {1, 2 * time.Second, true, 0},
		}},
		{"a clock going back spends nothing it has not", 1, []step{
			{1, time.Second, true, 0}, {1, 0, false, time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l rateLimiter
			for i, st := range tt.steps {
				ok, wait := l.take(st.group, t0.Add(st.at), tt.rate)
				if ok != st.ok || (!ok && (wait < st.wait-time.Millisecond || wait > st.wait+time.Millisecond)) {
					t.Errorf("step %d: take(group %d, t0+%v) = %v, %v; want %v, %v", i, st.group, st.at, ok, wait, st.ok, st.wait)
				}
			}
		})
	}
}

func TestRateLimiterForgetsIdleGroups(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	var l rateLimiter
	for g := range int64(1000) {
		l.take(g, t0, 10)
	}
	l.take(1, t0.Add(2*time.Minute), 10)
	if n := len(l.buckets); n != 1 {
		t.Errorf("after two idle minutes the limiter keeps %d groups, want the 1 still in use", n)
	}
}
