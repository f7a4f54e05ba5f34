package load

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
)

func TestProgress(t *testing.T) {
	rec := newRecorder("sync", "entra", 50)
	for range 7 {
		rec.ok(time.Millisecond)
	}
	rec.fail(errTest)
	rec.request("POST /Users", 500, time.Millisecond)
	var out proctest.Buffer
	stop := Progress{Out: &out, Every: time.Millisecond}.watch(rec)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "\n") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	stop()
	line, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(line, "sync: 8/50 done, ") || !strings.Contains(line, "1 errors (1 answered 5xx!)") {
		t.Errorf("progress line = %q", line)
	}
	if got := (Progress{}).watch(rec); got == nil {
		t.Error("a Progress without output returns no stop")
	}
}

var errTest = &statusError{"POST", "/Users", 500, []byte("<html><title>Broken</title></html>")}

func TestStatusErrorShowsThePageTitle(t *testing.T) {
	if got, want := errTest.Error(), "POST /Users = 500: Broken"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
