package hosttest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Netns is a network namespace of the test's own: an OS thread that
// entered a new namespace and runs the functions given to Do there. Sockets,
// links and interfaces made in Do belong to the namespace and may be used
// from any goroutine afterwards; its sysctls (Sysctl) are its own, so a
// test can change TCP's behaviour without touching the host's.
type Netns struct {
	calls chan func()
}

// NewNetns makes a network namespace with its loopback up. It is removed
// when the test ends (its thread exits, and with the last socket the
// namespace goes).
func NewNetns(t *testing.T) *Netns {
	t.Helper()
	ns := &Netns{calls: make(chan func())}
	ready := make(chan error, 1)
	go func() {
		// never unlocked: when this goroutine returns, the runtime ends the
		// thread instead of handing a thread in another namespace to
		// other goroutines
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ready <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		if err := linkUp("lo"); err != nil {
			ready <- fmt.Errorf("bring lo up in the new namespace: %w", err)
			return
		}
		ready <- nil
		for f := range ns.calls {
			f()
		}
	}()
	if err := <-ready; err != nil {
		t.Skipf("skipped: no network namespace of the test's own: %v", err)
	}
	t.Cleanup(func() { close(ns.calls) })
	return ns
}

// Do runs f in the namespace and returns when it has.
func (ns *Netns) Do(f func()) {
	done := make(chan struct{})
	ns.calls <- func() { defer close(done); f() }
	<-done
}

// Sysctl sets /proc/sys/<name> ("net/ipv4/tcp_early_retrans") in the
// namespace: /proc/sys/net resolves to the namespace of the thread that
// opens it.
func (ns *Netns) Sysctl(t *testing.T, name, value string) {
	t.Helper()
	var err error
	ns.Do(func() { err = os.WriteFile(filepath.Join("/proc/sys", name), []byte(value), 0o644) })
	if err != nil {
		t.Fatalf("sysctl %s=%s in the test's namespace: %v", name, value, err)
	}
}

// linkUp sets IFF_UP on an interface of the calling thread's namespace.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// NewTCPNetns is a NewNetns whose TCP leaves the congestion window to the
// congestion control: no window restart or decay while the connection
// idles (tcp_slow_start_after_idle), no tail loss probe (tcp_early_retrans:
// lost ACKs end in a retransmission timeout), no metrics saved from earlier
// connections, and buffers large enough that the receive window never
// limits the sender (then the kernel asks cong_avoid to grow the window
// on every ACK).
func NewTCPNetns(t *testing.T) *Netns {
	t.Helper()
	ns := NewNetns(t)
	for _, s := range [][2]string{
		{"net/ipv4/tcp_slow_start_after_idle", "0"},
		{"net/ipv4/tcp_early_retrans", "0"},
		{"net/ipv4/tcp_no_metrics_save", "1"},
		{"net/ipv4/tcp_rmem", "4096 67108864 67108864"},
		{"net/ipv4/tcp_wmem", "4096 67108864 67108864"},
	} {
		ns.Sysctl(t, s[0], s[1])
	}
	return ns
}
