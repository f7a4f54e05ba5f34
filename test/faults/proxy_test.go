package faults

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxy is a TCP proxy between the server and PostgreSQL that can hold
// every chunk of bytes, in either direction, for a delay before passing it
// on: a database that answers, but slowly. It counts the connections open
// through it.
type proxy struct {
	ln     net.Listener
	target string
	delay  atomic.Int64 // nanoseconds each chunk waits
	open   atomic.Int64 // connections open now
	peak   atomic.Int64 // the most open at once since resetPeak

	mu    sync.Mutex
	conns map[*pipe]struct{}
	wg    sync.WaitGroup
}

// startProxy listens on a loopback port and forwards to target; the test's
// cleanup closes it and every connection.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[*pipe]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// port is the port the proxy listens on.
func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// setDelay makes every chunk from now on wait d (0: none).
func (p *proxy) setDelay(d time.Duration) { p.delay.Store(int64(d)) }

// resetPeak starts counting the peak of open connections again.
func (p *proxy) resetPeak() { p.peak.Store(p.open.Load()) }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.DialTimeout("tcp", p.target, 10*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		pp := &pipe{a: client, b: server, done: make(chan struct{})}
		p.mu.Lock()
		p.conns[pp] = struct{}{}
		p.mu.Unlock()
		n := p.open.Add(1)
		for {
			old := p.peak.Load()
			if n <= old || p.peak.CompareAndSwap(old, n) {
				break
			}
		}
		p.wg.Add(2)
		go p.copy(pp, server, client)
		go p.copy(pp, client, server)
	}
}

// pipe is one proxied connection.
type pipe struct {
	a, b net.Conn
	once sync.Once
	done chan struct{} // closed when either side is
}

// shut closes both sides at once, so that the database sees a client that
// went away as soon as the proxy does.
func (pp *pipe) shut() {
	pp.once.Do(func() {
		close(pp.done)
		pp.a.Close()
		pp.b.Close()
	})
}

// copy passes what src sends on to dst, each chunk after the delay.
func (p *proxy) copy(pp *pipe, dst, src net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		_, live := p.conns[pp]
		delete(p.conns, pp)
		p.mu.Unlock()
		pp.shut()
		if live {
			p.open.Add(-1)
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(p.delay.Load()); d > 0 {
				select {
				case <-time.After(d):
				case <-pp.done:
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for pp := range p.conns {
		pp.shut()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
