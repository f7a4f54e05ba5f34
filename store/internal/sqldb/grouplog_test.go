package sqldb

import "testing"

func TestTrimFloors(t *testing.T) {
	var f trimFloors
	if got := f.floor(1); got != 0 {
		t.Fatalf("floor(1) of a group never trimmed = %d, want 0", got)
	}
	f.set(map[int64]int64{1: 100, 2: 7})
	if got := f.floor(1); got != 100 {
		t.Errorf("floor(1) after a trim to 100 = %d, want 100", got)
	}
	// A lower boundary (a trim that found nothing above an older floor)
	// never lowers the floor.
	f.set(map[int64]int64{1: 50})
	if got := f.floor(1); got != 100 {
		t.Errorf("floor(1) after a trim to 50 = %d, want 100", got)
	}
	// Every fullTrimEvery trims, one looks at the whole group.
	for range fullTrimEvery - 2 {
		f.set(map[int64]int64{1: 100})
	}
	if got := f.floor(1); got != 0 {
		t.Errorf("floor(1) after %d trims = %d, want 0 (a full trim)", fullTrimEvery, got)
	}
	f.set(map[int64]int64{1: 200})
	if got := f.floor(1); got != 200 {
		t.Errorf("floor(1) after the full trim = %d, want 200", got)
	}
	if got := f.floor(2); got != 7 {
		t.Errorf("floor(2) = %d, want 7: groups are apart", got)
	}
}
