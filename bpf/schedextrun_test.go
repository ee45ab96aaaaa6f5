package bpf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sasm "github.com/structops/structops-gen/asm"
)

// fakeSched plays the kernel's side of sched_ext in a temporary
// SchedExtDir: Attach enables it, Detach disables it and records an
// unregistration, eject disables it and records kind.
type fakeSched struct {
	t      *testing.T
	dir    string
	mu     sync.Mutex
	exit   SchedExtExit
	noExit bool // no exit-info map
	events []string
}

func newFakeSched(t *testing.T) *fakeSched {
	dir := t.TempDir()
	old := SchedExtDir
	SchedExtDir = dir
	t.Cleanup(func() { SchedExtDir = old })
	f := &fakeSched{t: t, dir: dir}
	f.state("disabled")
	return f
}

func (f *fakeSched) state(s string) {
	if err := os.WriteFile(filepath.Join(f.dir, "state"), []byte(s+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeSched) Attach() error {
	f.mu.Lock()
	f.events = append(f.events, "attach")
	f.mu.Unlock()
	os.MkdirAll(filepath.Join(f.dir, "root"), 0o755)
	os.WriteFile(filepath.Join(f.dir, "root", "ops"), []byte("fake\n"), 0o644)
	f.state("enabled")
	return nil
}

func (f *fakeSched) Detach() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "detach")
	if f.exit.Kind == 0 {
		f.exit = SchedExtExit{Kind: 64, Reason: "unregistered from user space"}
	}
	os.RemoveAll(filepath.Join(f.dir, "root"))
	f.state("disabled")
	return nil
}

func (f *fakeSched) eject(kind uint32, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exit = SchedExtExit{Kind: kind, Reason: reason}
	f.state("disabled")
}

func (f *fakeSched) SchedExtExit() (SchedExtExit, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noExit {
		return SchedExtExit{}, false, fmt.Errorf("fake: %w", ErrNoExitInfo)
	}
	return f.exit, f.exit.Kind != 0, nil
}

func TestRunSchedExtOnce(t *testing.T) {
	f := newFakeSched(t)
	var stdout, stderr bytes.Buffer
	n := 0
	err := RunSchedExt(context.Background(), f, SchedExtRunOptions{
		Name: "fake", Once: true, Duration: 120 * time.Millisecond, Interval: 50 * time.Millisecond,
		Stats:  func(w io.Writer) error { n++; fmt.Fprintf(w, "stats %d\n", n); return nil },
		Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.HasPrefix(out, "state: enabled\nops: fake\n") || !strings.Contains(out, "stats 1\n") ||
		!strings.HasSuffix(out, fmt.Sprintf("stats %d\nexit: SCX_EXIT_UNREG (64): unregistered from user space\n", n)) || n < 2 {
		t.Errorf("stdout:\n%s", out)
	}
	if got := strings.Join(f.events, " "); got != "attach detach" {
		t.Errorf("events %q", got)
	}
	if !strings.Contains(stderr.String(), "detached (sched_ext state: disabled)") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestRunSchedExtEjected(t *testing.T) {
	for _, noExit := range []bool{false, true} {
		f := newFakeSched(t)
		f.noExit = noExit
		var stdout, stderr bytes.Buffer
		go func() {
			time.Sleep(60 * time.Millisecond)
			f.eject(1026, "runnable task stall")
		}()
		err := RunSchedExt(context.Background(), f, SchedExtRunOptions{Name: "fake", Stdout: &stdout, Stderr: &stderr})
		if !errors.Is(err, ErrSchedExtEjected) {
			t.Fatalf("noExit %v: %v, want ejected", noExit, err)
		}
		want := "SCX_EXIT_ERROR_STALL (1026): runnable task stall"
		if noExit {
			want = "no exit record"
		} else if !strings.Contains(stdout.String(), "exit: "+want) {
			t.Errorf("stdout:\n%s", stdout.String())
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("noExit %v: %v, want it to say %q", noExit, err, want)
		}
	}
}

// TestRunSchedExtSignal checks a signal detaches, and a scheduler the
// kernel never enables is detached with the state it was left in.
func TestRunSchedExtSignal(t *testing.T) {
	f := newFakeSched(t)
	sigs := make(chan os.Signal, 1)
	sigs <- os.Interrupt
	var stdout, stderr bytes.Buffer
	if err := RunSchedExt(context.Background(), f, SchedExtRunOptions{Name: "fake", Signals: sigs, Stdout: &stdout, Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "interrupt: detaching") || strings.Join(f.events, " ") != "attach detach" {
		t.Errorf("events %v, stderr:\n%s", f.events, stderr.String())
	}
}

func TestDecodeExit(t *testing.T) {
	var r sasm.ExitRecord
	r.Kind, r.ExitCode = 1025, 0x1234
	copy(r.Reason[:], "scx_bpf_error")
	copy(r.Msg[:], "bad task")
	if got, want := DecodeExit(r).String(), "SCX_EXIT_ERROR_BPF (1025): scx_bpf_error: bad task (exit code 0x1234)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if (&Ops{Name: "sched_ext_ops"}).SchedExt() != true || (&Ops{Name: "tcp_congestion_ops"}).SchedExt() {
		t.Error("Ops.SchedExt")
	}
}
