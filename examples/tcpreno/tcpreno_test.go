package tcpreno

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/structops/structops-gen/examples/internal/hosttest"
	"github.com/structops/structops-gen/examples/tcpreno/tcpcongestionops"
	"github.com/structops/structops-gen/gen"
)

const (
	ccName        = "goreno"
	available     = "/proc/sys/net/ipv4/tcp_available_congestion_control"
	transferBytes = 64 << 20
)

// spec is the generation this example comes from (see doc.go).
var spec = gen.Spec{BTF: hosttest.VmlinuxBTF, Ops: "tcp_congestion_ops", Set: []string{"name=" + ccName}}

func TestGeneratedFilesUpToDate(t *testing.T) {
	hosttest.CheckDrift(t, spec, ".", "github.com/structops/structops-gen/examples/tcpreno")
}

func registered(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile(available)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range strings.Fields(string(b)) {
		if n == ccName {
			return true
		}
	}
	return false
}

// waitRegistered polls until the name is (or is no longer) registered: the
// kernel unregisters a struct_ops link's map when the link's last fd goes,
// which for a killed process happens as it exits. The deadline only bounds
// a failure; the test asserts the state, not the time.
func waitRegistered(t *testing.T, want bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if registered(t) == want {
			return
		}
	}
	t.Fatalf("%s registered = %v after 30s, want %v", ccName, !want, want)
}

func setCC(c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, ccName) })
	if err != nil {
		return err
	}
	return serr
}

func ccOf(t *testing.T, c *net.TCPConn) string {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var name string
	var gerr error
	rc.Control(func(fd uintptr) { name, gerr = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return strings.TrimRight(name, "\x00")
}

// TestTransfer attaches the Reno of callbacks.go, moves 64 MiB over a
// loopback connection that uses it on both ends, checks the bytes arrive
// intact and that the programs ran, then detaches.
func TestTransfer(t *testing.T) {
	hosttest.NeedBPF(t)
	if registered(t) {
		t.Fatalf("%s is already registered: stop the loader that attached it", ccName)
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		t.Logf("no BPF run statistics (%v): the run counts are not checked", err)
	} else {
		defer stats.Close()
	}
	impl, err := tcpcongestionops.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer impl.Close()
	if err := impl.Attach(); err != nil {
		t.Fatal(err)
	}
	if !registered(t) {
		t.Fatalf("attached, but %s is not in %s", ccName, available)
	}

	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error { return setCC(c) }}
	ln, err := lc.Listen(t.Context(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	payload := make([]byte, transferBytes)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	sent := sha256.Sum256(payload)

	type result struct {
		sum [32]byte
		n   int64
		cc  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		h := sha256.New()
		n, err := io.Copy(h, c)
		var r result
		r.n, r.err, r.cc = n, err, ccOf(t, c.(*net.TCPConn))
		copy(r.sum[:], h.Sum(nil))
		done <- r
	}()

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error { return setCC(c) }}
	start := time.Now()
	conn, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := conn.(*net.TCPConn)
	if got := ccOf(t, tc); got != ccName {
		t.Fatalf("client congestion control %q, want %q", got, ccName)
	}
	if _, err := io.Copy(tc, bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	info, err := unix.GetsockoptTCPInfo(fdOf(t, tc), unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		t.Fatal(err)
	}
	tc.CloseWrite()
	r := <-done
	elapsed := time.Since(start)
	tc.Close()
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.n != transferBytes || r.sum != sent {
		t.Fatalf("received %d bytes, sha256 %x; sent %d bytes, sha256 %x", r.n, r.sum, transferBytes, sent)
	}
	if r.cc != ccName {
		t.Fatalf("server congestion control %q, want %q", r.cc, ccName)
	}
	t.Logf("moved %d MiB intact over %s in %v (%.0f MiB/s); client snd_cwnd %d, snd_ssthresh %d",
		transferBytes>>20, ccName, elapsed, float64(transferBytes>>20)/elapsed.Seconds(), info.Snd_cwnd, info.Snd_ssthresh)

	if stats != nil {
		st, err := impl.Program("cong_avoid").Stats()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("cong_avoid ran %d times", st.RunCount)
		if st.RunCount == 0 {
			t.Errorf("cong_avoid never ran: the connection did not use the BPF congestion control")
		}
	}

	if err := impl.Detach(); err != nil {
		t.Fatal(err)
	}
	waitRegistered(t, false)
}

func fdOf(t *testing.T, c *net.TCPConn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// TestLoaderSIGKILL runs the generated loader, kills it with SIGKILL once
// the congestion control is registered, and checks that nothing stays
// registered: the struct_ops map is attached through a link, which the
// kernel releases with the dead process's fds.
func TestLoaderSIGKILL(t *testing.T) {
	hosttest.NeedBPF(t)
	if registered(t) {
		t.Fatalf("%s is already registered: stop the loader that attached it", ccName)
	}
	bin := filepath.Join(t.TempDir(), "loader")
	if out, err := exec.Command("go", "build", "-o", bin, "./tcpcongestionops/loader").CombinedOutput(); err != nil {
		t.Fatalf("build the loader: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !registered(t) {
		select {
		case err := <-exited:
			t.Fatalf("the loader exited before attaching: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the loader ended with %v, want death by SIGKILL", err)
	}
	waitRegistered(t, false)
}
