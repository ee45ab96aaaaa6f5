package hosttest

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Available is where the kernel lists the registered congestion controls.
const Available = "/proc/sys/net/ipv4/tcp_available_congestion_control"

// InitialWindow is the initial congestion window (RFC 6928) Linux starts a
// connection with when the route sets none.
const InitialWindow = 10

// Loopback is a TCP connection over 127.0.0.1 whose two ends use one
// congestion control; the client sends, the server receives.
type Loopback struct {
	Client, Server *net.TCPConn
	// Port is the server's port.
	Port int
	cc   string
}

// Dial connects over loopback with TCP_CONGESTION=cc set on the listener
// (so on the accepted socket) and on the client before connect. With a
// non-nil ns the sockets are made in that namespace; listen is called with
// the server's port before the client connects (nil: nothing to do).
func Dial(t *testing.T, cc string, ns *Netns, listen func(port int)) *Loopback {
	t.Helper()
	set := func(_, _ string, c syscall.RawConn) error { return setCC(c, cc) }
	var (
		ln   net.Listener
		conn net.Conn
		err  error
	)
	do := func(f func()) { f() }
	if ns != nil {
		do = ns.Do
	}
	do(func() {
		lc := net.ListenConfig{Control: set}
		ln, err = lc.Listen(t.Context(), "tcp4", "127.0.0.1:0")
	})
	if err != nil {
		t.Fatalf("listen with TCP_CONGESTION=%s: %v", cc, err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if listen != nil {
		listen(port)
	}
	do(func() {
		d := net.Dialer{Control: set}
		conn, err = d.DialContext(t.Context(), "tcp4", ln.Addr().String())
	})
	if err != nil {
		t.Fatalf("connect with TCP_CONGESTION=%s: %v", cc, err)
	}
	server, err := ln.Accept()
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	l := &Loopback{Client: conn.(*net.TCPConn), Server: server.(*net.TCPConn), Port: port, cc: cc}
	t.Cleanup(func() { l.Client.Close(); l.Server.Close() })
	for what, c := range map[string]*net.TCPConn{"client": l.Client, "server": l.Server} {
		if got := CongestionControl(t, c); got != cc {
			t.Fatalf("%s congestion control %q, want %q", what, got, cc)
		}
	}
	return l
}

func setCC(c syscall.RawConn, cc string) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc) })
	if err != nil {
		return err
	}
	return serr
}

// CongestionControl is the TCP_CONGESTION of a connection.
func CongestionControl(t *testing.T, c *net.TCPConn) string {
	t.Helper()
	var name string
	var gerr error
	control(t, c, func(fd int) { name, gerr = unix.GetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_CONGESTION) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return strings.TrimRight(name, "\x00")
}

func control(t *testing.T, c *net.TCPConn, f func(fd int)) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Control(func(fd uintptr) { f(int(fd)) }); err != nil {
		t.Fatal(err)
	}
}

// Info is the client's TCP_INFO: its congestion window, slow start
// threshold, segment counts.
func (l *Loopback) Info(t *testing.T) *unix.TCPInfo {
	t.Helper()
	var info *unix.TCPInfo
	var err error
	control(t, l.Client, func(fd int) { info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO) })
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// Send writes n random bytes from the client, checks that the server reads
// exactly those bytes, and returns once the client has had every byte
// acknowledged (the connection is idle again), with its TCP_INFO then.
func (l *Loopback) Send(t *testing.T, n int) *unix.TCPInfo {
	t.Helper()
	payload := make([]byte, n)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	sent := sha256.Sum256(payload)
	type result struct {
		sum [32]byte
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		h := sha256.New()
		got, err := io.CopyN(h, l.Server, int64(n))
		r := result{n: got, err: err}
		copy(r.sum[:], h.Sum(nil))
		done <- r
	}()
	if _, err := l.Client.Write(payload); err != nil {
		t.Fatalf("send %d bytes over %s: %v", n, l.cc, err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("receive %d bytes over %s: %v (got %d)", n, l.cc, r.err, r.n)
	}
	if r.sum != sent {
		t.Fatalf("received %d bytes with sha256 %x; sent %d bytes with sha256 %x", r.n, r.sum, n, sent)
	}
	// the server has every byte; its last ACKs may still be on their way
	// (or held up by a test): wait for them. The deadline only bounds a
	// failure.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		info := l.Info(t)
		if info.Unacked == 0 {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d segments still unacknowledged 30s after the server read them all", info.Unacked)
		}
	}
}

// Registered reports whether a congestion control is listed in Available.
func Registered(t *testing.T, name string) bool {
	t.Helper()
	b, err := os.ReadFile(Available)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range strings.Fields(string(b)) {
		if n == name {
			return true
		}
	}
	return false
}

// WaitRegistered polls until name is (or is no longer) registered: the
// kernel unregisters a struct_ops link's map when the link's last fd goes,
// which for a killed process happens as it exits. The deadline only bounds
// a failure; the test asserts the state, not the time.
func WaitRegistered(t *testing.T, name string, want bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if Registered(t, name) == want {
			return
		}
	}
	t.Fatalf("%s registered = %v after 30s, want %v", name, !want, want)
}
