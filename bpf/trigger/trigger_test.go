package trigger

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
)

// fakeFile is a trigger: it records the lines written and answers reads
// with out, or fails them with readErr as os.ReadFile does.
type fakeFile struct {
	lines   []string
	out     string
	readErr error
	reads   int
}

func (f *fakeFile) client(path string) *Client {
	c := New(path)
	c.WriteFile = func(name string, b []byte, _ os.FileMode) error {
		f.lines = append(f.lines, string(b))
		return nil
	}
	c.ReadFile = func(name string) ([]byte, error) {
		f.reads++
		if f.readErr != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: f.readErr}
		}
		return []byte(f.out), nil
	}
	return c
}

// TestNoReadBack: a trigger without a read handler fails reads with EIO:
// Call reports ErrNoReadBack after a successful write, naming the path
// once, and FindSlot finds no slots.
func TestNoReadBack(t *testing.T) {
	f := &fakeFile{readErr: syscall.EIO}
	c := f.client("/proc/bpf_testmod_trigger")
	k, err := c.FindSlot(func() (uint32, error) { t.Fatal("link ID asked without slots"); return 0, nil })
	if k != -1 || c.Slot != -1 || err != nil {
		t.Fatalf("FindSlot = %d, %v; want -1, nil", k, err)
	}
	out, err := c.Call("test_2 1 2")
	if out != nil || !errors.Is(err, ErrNoReadBack) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Call = %q, %v; want ErrNoReadBack wrapping EIO", out, err)
	}
	if want := "the trigger has no read-back: read /proc/bpf_testmod_trigger: input/output error"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if strings.Join(f.lines, "|") != "test_2 1 2" {
		t.Errorf("wrote %q", f.lines)
	}

	// other read errors are errors, the path named once
	for _, e := range []error{syscall.EACCES, syscall.ENOENT} {
		f := &fakeFile{readErr: e}
		_, err := f.client("/proc/x_trigger").Call("test_1")
		if err == nil || errors.Is(err, ErrNoReadBack) || strings.Count(err.Error(), "/proc/x_trigger") != 1 {
			t.Errorf("%v: Call error %v", e, err)
		}
		if e == syscall.ENOENT && !strings.HasSuffix(err.Error(), "is the module loaded?") {
			t.Errorf("ENOENT: %v lacks the hint", err)
		}
	}
}

// TestSlots: a module generated with --instances lists its slots; the
// client finds its link's slot, prefixes its lines and keeps its answers.
func TestSlots(t *testing.T) {
	f := &fakeFile{out: "@0: link 7\n@1: link 9\ntest_1 42\n@1 test_1 43\n"}
	c := f.client("/proc/m_trigger")
	if k, err := c.FindSlot(func() (uint32, error) { return 9, nil }); k != 1 || err != nil {
		t.Fatalf("FindSlot = %d, %v", k, err)
	}
	out, err := c.Call("test_1")
	if err != nil || string(out) != "test_1 43\n" || f.lines[0] != "@1 test_1" {
		t.Errorf("Call = %q, %v; wrote %q", out, err, f.lines)
	}
	if v, ok := Answer(out, "test_1"); !ok || v != "43" {
		t.Errorf("Answer = %q, %v", v, ok)
	}
	if _, err := c.FindSlot(func() (uint32, error) { return 8, nil }); err == nil || !strings.Contains(err.Error(), "lists no slot for link 8") {
		t.Errorf("FindSlot of an unlisted link: %v", err)
	}
	// slot 0 keeps the lines without a prefix
	c.Slot = 0
	if out, _ := c.Call("test_1"); string(out) != "test_1 42\n" {
		t.Errorf("slot 0: %q", out)
	}
}

// TestNoReadBackHost reads a real proc file without a read handler on the
// host: /proc/sysrq-trigger (write-only, like the tutorial's trigger). It
// is only read, never written.
func TestNoReadBackHost(t *testing.T) {
	const path = "/proc/sysrq-trigger"
	if _, err := os.ReadFile(path); !errors.Is(err, syscall.EIO) {
		t.Skipf("reading %s gives %v here, not EIO (needs root)", path, err)
	}
	c := New(path)
	if k, err := c.FindSlot(func() (uint32, error) { return 0, errors.New("no link") }); k != -1 || err != nil {
		t.Errorf("FindSlot = %d, %v; want -1, nil", k, err)
	}
	if _, err := c.read(); !errors.Is(err, ErrNoReadBack) || strings.Count(err.Error(), path) != 1 {
		t.Errorf("read: %v", err)
	}
}

// TestRefusalReason: a refused line's error carries the errno and the
// reason the module keeps for the writer.
func TestRefusalReason(t *testing.T) {
	f := &fakeFile{out: "test_1 42\nerror: test_2: extra words \"3 4\" after its arguments\n"}
	c := f.client("/proc/x_trigger")
	c.WriteFile = func(name string, b []byte, _ os.FileMode) error {
		return &fs.PathError{Op: "write", Path: name, Err: syscall.EINVAL}
	}
	_, err := c.Call("test_2 1 2 3 4")
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("error %v does not wrap EINVAL", err)
	}
	if !strings.HasSuffix(err.Error(), `: test_2: extra words "3 4" after its arguments`) {
		t.Errorf("error %q lacks the module's reason", err)
	}
	// without a kept reason, the errno alone
	f.out = "test_1 42\n"
	if _, err := c.Call("test_2 x"); err == nil || strings.Contains(err.Error(), "error:") || !errors.Is(err, syscall.EINVAL) {
		t.Errorf("error without a reason: %v", err)
	}
}
