package loadercmd

// The loader against the host kernel (as root): a tcp_congestion_ops
// stack whose programs count their calls, driven by Main with --stats and
// --pin.

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

const availableCC = "/proc/sys/net/ipv4/tcp_available_congestion_control"

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (loads and attaches struct_ops)")
	}
	if _, err := os.Stat(availableCC); err != nil {
		t.Skipf("no TCP congestion control sysctl: %v", err)
	}
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	var st *btf.Struct
	if err := spec.TypeByName("bpf_struct_ops_tcp_congestion_ops", &st); err != nil {
		t.Skipf("kernel cannot implement tcp_congestion_ops in BPF: %v", err)
	}
}

// lockedBuffer is an io.Writer Main writes from its goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMainStatsTCP runs the periodic mode with --stats on a congestion
// control that counts its calls: n connections with it give init n calls,
// printed every interval and at the end, and the counts map is pinned
// under --pin.
func TestMainStatsTCP(t *testing.T) {
	needRoot(t)
	name := fmt.Sprintf("sost%d", os.Getpid()%100000)
	counts := sasm.NewCallCounts("calls", "init", "ssthresh", "undo_cwnd", "cong_avoid")
	var (
		sigSsthresh  = sasm.Sig{Name: "ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}
		sigUndoCwnd  = sasm.Sig{Name: "undo_cwnd", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}
		sigCongAvoid = sasm.Sig{Name: "cong_avoid", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.U32, sasm.U32}}
		sigInit      = sasm.Sig{Name: "init", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr}}
	)
	ops := &bpf.Ops{
		Name: "tcp_congestion_ops", Size: 56,
		Members: []bpf.Member{
			{Name: "ssthresh", Offset: 0, Size: 8, Func: true},
			{Name: "undo_cwnd", Offset: 8, Size: 8, Func: true},
			{Name: "cong_avoid", Offset: 16, Size: 8, Func: true},
			{Name: "init", Offset: 24, Size: 8, Func: true},
			{Name: "name", Offset: 32, Size: 16},
		},
		Data:   map[string][]byte{"name": []byte(name)},
		Counts: counts,
	}
	progs := func() (map[string]asm.Instructions, error) {
		return map[string]asm.Instructions{
			"init":       sasm.Seq(counts.Count("init"), sigInit.RetImm(0)),
			"ssthresh":   sasm.Seq(counts.Count("ssthresh"), sigSsthresh.RetImm(10)),
			"undo_cwnd":  sasm.Seq(counts.Count("undo_cwnd"), sigUndoCwnd.RetImm(10)),
			"cong_avoid": sasm.Seq(counts.Count("cong_avoid"), sigCongAvoid.RetImm(0)),
		}, nil
	}
	// a bpffs of the test's own for the pins
	pin := t.TempDir()
	if err := unix.Mount("bpf", pin, "bpf", 0, ""); err != nil {
		t.Fatalf("mount a bpffs at %s: %v", pin, err)
	}
	t.Cleanup(func() { unix.Unmount(pin, 0) })

	stop := make(chan os.Signal, 1)
	oldN := notifyStop
	notifyStop = func() (<-chan os.Signal, func()) { return stop, func() {} }
	t.Cleanup(func() { notifyStop = oldN })

	var stdout, stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- Main([]string{"--stats", "--interval", "100ms", "--pin", pin}, &stdout, &stderr, ops, progs)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "press Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("exit %d before attaching: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not attached after 20 s: %s", stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(pin, "calls")); err != nil {
		t.Errorf("the counts are not pinned: %v", err)
	}
	const n = 5
	for range n {
		connect(t, name)
	}
	time.Sleep(250 * time.Millisecond) // at least one periodic line after the connections
	stop <- unix.SIGINT
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	inits := regexp.MustCompile(`(?m)^init (\d+)$`).FindAllStringSubmatch(out, -1)
	if len(inits) < 2 {
		t.Fatalf("%d init lines, want one per interval and one at the end:\n%s", len(inits), out)
	}
	if inits[len(inits)-1][1] != fmt.Sprint(n) || inits[len(inits)-2][1] != fmt.Sprint(n) {
		t.Errorf("init counts %v: want %d in the last two (a periodic line after the connections, the final one):\n%s", inits, n, out)
	}
	for _, m := range counts.Members {
		if !strings.Contains(out, "\n"+m+" ") {
			t.Errorf("no line for %s:\n%s", m, out)
		}
	}
	// the pinned map outlives the loader and holds the counts
	m, err := ebpf.LoadPinnedMap(filepath.Join(pin, "calls"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var per []uint64
	if err := m.Lookup(uint32(counts.Index("init")), &per); err != nil {
		t.Fatal(err)
	}
	sum := uint64(0)
	for _, v := range per {
		sum += v
	}
	if sum != n {
		t.Errorf("pinned init count %d, want %d", sum, n)
	}
}

// connect makes one TCP connection over loopback with congestion control cc.
func connect(t *testing.T, cc string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
		}); err != nil {
			return err
		}
		return serr
	}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial with TCP_CONGESTION=%s: %v", cc, err)
	}
	c.Close()
}
