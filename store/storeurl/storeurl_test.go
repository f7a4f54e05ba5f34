package storeurl_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/store/storeurl"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	for _, url := range []string{"sqlite:" + filepath.Join(dir, "a.db"), "sqlite://" + filepath.Join(dir, "b.db")} {
		s, err := storeurl.Open(context.Background(), url, nil)
		if err != nil {
			t.Errorf("Open(%q) = %v", url, err)
			continue
		}
		s.Close()
	}
	for _, url := range []string{"sqlite:", "mysql://root:hunter2@x/db", "gatehouse.db"} {
		_, err := storeurl.Open(context.Background(), url, nil)
		var bad *storeurl.BadURLError
		if !errors.As(err, &bad) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) = %v, want a BadURLError without the password", url, err)
		}
	}
}
