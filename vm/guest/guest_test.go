package guest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParseTimeout(t *testing.T) {
	cases := map[string]time.Duration{
		"console=ttyS0 quiet structops_vm.timeout=4m30s rdinit=/init\n": 270 * time.Second,
		"console=ttyS0":                                    0,
		"structops_vm.timeout=bogus":                       0,
		"xstructops_vm.timeout=5s":                         0,
		"structops_vm.timeout=10s structops_vm.timeout=1h": time.Hour,
	}
	for cmdline, want := range cases {
		if got := parseTimeout(cmdline); got != want {
			t.Errorf("parseTimeout(%q) = %v, want %v", cmdline, got, want)
		}
	}
}

func TestKmsgText(t *testing.T) {
	msg, ok := kmsgText([]byte("6,339,5140900,-;hellomod: hello\n SUBSYSTEM=module\n DEVICE=+module:hellomod\n"))
	if !ok || msg != "hellomod: hello" {
		t.Errorf("kmsgText = %q, %v", msg, ok)
	}
	if _, ok := kmsgText([]byte("garbage")); ok {
		t.Error("record without ';' accepted")
	}
}

func TestExitStatus(t *testing.T) {
	for script, want := range map[string]int{"exit 0": 0, "exit 5": 5, "kill -9 $$": 137, "kill -TERM $$": 143} {
		cmd := exec.Command("/bin/sh", "-c", script)
		err := cmd.Run()
		if got := exitStatus(cmd.ProcessState, err); got != want {
			t.Errorf("%q: status %d, want %d", script, got, want)
		}
	}
	if got := exitStatus(nil, os.ErrNotExist); got != 127 {
		t.Errorf("not started: %d", got)
	}
}

func TestLineWriter(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	con := &console{fd: int(w.Fd())}
	lw := &lineWriter{con: con}
	lw.Write([]byte("one\ntw"))
	lw.Write([]byte("o\nthree"))
	lw.flush()
	w.Close()
	var b bytes.Buffer
	b.ReadFrom(r)
	if b.String() != "one\ntwo\nthree\n" {
		t.Errorf("console got %q", b.String())
	}
}

func TestSelftest(t *testing.T) {
	f := t.TempDir() + "/f"
	os.WriteFile(f, []byte("file contents\n"), 0o644)
	var out, errb bytes.Buffer
	code := Selftest(&out, &errb, []string{"-print", "hi", "-stderr", "oops", "-cat", f, "-exit", "3"})
	if code != 3 || out.String() != "hi\nfile contents\n" || strings.TrimSpace(errb.String()) != "oops" {
		t.Errorf("Selftest = %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if code := Selftest(&out, &errb, []string{"-bogus"}); code != 2 {
		t.Errorf("bad flag: %d", code)
	}
}
