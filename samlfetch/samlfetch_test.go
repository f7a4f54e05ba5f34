package samlfetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" when allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.3.4.5", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "link-local"},
		{"239.1.2.3", "multicast"},
		{"ff02::1", "link-local"},
		{"ff0e::1", "multicast"},
		{"100.64.0.1", "reserved"},
		{"64:ff9b::a00:1", "reserved"},
		{"255.255.255.255", "reserved"},
		{"93.184.215.14", ""},
		{"2606:4700::6810:85e5", ""},
	}
	for _, tt := range tests {
		err := CheckAddr(netip.MustParseAddr(tt.addr))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckAddr(%s) = %v, want nil", tt.addr, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckAddr(%s) = %v, want an error mentioning %q", tt.addr, err, tt.want)
		}
	}
}

func TestControl(t *testing.T) {
	tests := []struct {
		address string
		ok      bool
	}{
		{"127.0.0.1:443", false},
		{"[::1]:443", false},
		{"10.0.0.8:443", false},
		{"192.168.0.1:8443", false},
		{"169.254.169.254:80", false},
		{"[fc00::5]:443", false},
		{"[::ffff:10.0.0.1]:443", false},
		{"not-an-address", false},
		{"93.184.215.14:443", true},
	}
	for _, tt := range tests {
		err := control("tcp", tt.address, nil)
		if (err == nil) != tt.ok {
			t.Errorf("control(%q) = %v, want ok %v", tt.address, err, tt.ok)
		}
	}
}

// TestGuardedClient dials through the production client: the guard refuses
// every one of these before a packet is sent (the names resolve locally).
func TestGuardedClient(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"loopback literal", "https://127.0.0.1:9/md", "loopback"},
		{"ipv6 loopback literal", "https://[::1]:9/md", "loopback"},
		{"private literal", "https://10.0.0.1:9/md", "private"},
		{"private 192.168", "https://192.168.1.1:9/md", "private"},
		{"metadata service", "https://169.254.169.254/latest", "link-local"},
		{"ula", "https://[fc00::1]:9/md", "private"},
		{"name resolving to loopback", "https://localhost:9/md", "loopback"},
		{"http", "http://example.com/md", "https"},
		{"user info", "https://u:p@example.com/md", "user name"},
		{"relative", "/md", "absolute"},
	}
	client := NewClient()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fetch(context.Background(), client, tt.url)
			if !gatehouse.IsKind(err, gatehouse.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fetch(%s) = %v, want Invalid mentioning %q", tt.url, err, tt.want)
			}
		})
	}
}

func TestCheckRedirect(t *testing.T) {
	tests := []struct {
		to   string
		via  int
		want string
	}{
		{"http://idp.example.com/md", 1, "https"},
		{"https://idp.example.com/md", MaxRedirects + 1, "redirects"},
		{"https://idp.example.com/md", 1, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, tt.to, nil)
		err := checkRedirect(req, make([]*http.Request, tt.via))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("checkRedirect(%s, %d) = %v, want nil", tt.to, tt.via, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("checkRedirect(%s, %d) = %v, want an error mentioning %q", tt.to, tt.via, err, tt.want)
		}
	}
}

// TestFetch serves metadata on loopback, so it uses the test server's own
// client with the production redirect rule.
func TestFetch(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<EntityDescriptor/>")) })
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, MaxSize+1)) })
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, MaxSize)) })
	mux.HandleFunc("/to-http", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/ok", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	ts := httptest.NewTLSServer(mux)
	defer ts.Close()
	client := ts.Client()
	client.CheckRedirect = checkRedirect

	tests := []struct {
		path string
		size int
		want string // "" for success
	}{
		{"/ok", len("<EntityDescriptor/>"), ""},
		{"/hop", len("<EntityDescriptor/>"), ""},
		{"/exact", MaxSize, ""},
		{"/missing", 0, "404"},
		{"/huge", 0, "larger than"},
		{"/to-http", 0, "https"},
		{"/loop", 0, "redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			body, err := Fetch(context.Background(), client, ts.URL+tt.path)
			if tt.want == "" {
				if err != nil || len(body) != tt.size {
					t.Errorf("Fetch(%s) = %d bytes, %v; want %d bytes", tt.path, len(body), err, tt.size)
				}
				return
			}
			if !gatehouse.IsKind(err, gatehouse.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fetch(%s) = %v, want Invalid mentioning %q", tt.path, err, tt.want)
			}
		})
	}
}
