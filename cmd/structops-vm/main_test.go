package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"bogus"}, "unknown command"},
		{[]string{"help", "bogus"}, "unknown command"},
		{[]string{"run"}, "nothing to do"},
		{[]string{"run", "--no-such-flag", "--", "/bin/x"}, "unknown flag"},
		{[]string{"fetch", "--module", "x"}, "unknown flag"},
		{[]string{"run", "--file", "nocolon", "--", "/bin/x"}, "HOSTPATH:/GUEST/PATH"},
		{[]string{"run", "--file", "a:relative", "--", "/bin/x"}, "HOSTPATH:/GUEST/PATH"},
		{[]string{"fetch", "extra"}, "unexpected arguments"},
		{[]string{"build-module"}, "exactly one module source DIR"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := run(&out, &errb, c.args); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", c.args, code, errb.String())
		}
		if !strings.Contains(errb.String(), c.want) {
			t.Errorf("%q: stderr lacks %q:\n%s", c.args, c.want, errb.String())
		}
		if out.Len() != 0 {
			t.Errorf("%q: a usage error wrote to stdout: %q", c.args, out.String())
		}
	}
}

func TestHelp(t *testing.T) {
	runFlags := []string{"--module", "--ko", "--file", "--go", "--no-module-cache", "--timeout", "--kernel", "--kdir", "--cache", "--series", "--w1"}
	cases := []struct {
		args          []string
		want, notWant []string
	}{
		{[]string{"--help"}, []string{"structops-vm run", "--go PKG", "build-module", "Examples:"}, nil},
		{[]string{"help"}, []string{"structops-vm run", "Examples:"}, nil},
		{[]string{"run", "--help"}, append([]string{"structops-vm run [flags] --go PKG"}, runFlags...), []string{"Examples:", "fetch [flags]"}},
		{[]string{"help", "run"}, runFlags, []string{"Examples:"}},
		{[]string{"fetch", "-h"}, []string{"structops-vm fetch", "--series", "--offline"}, []string{"--module", "--go", "--w1"}},
		{[]string{"build-module", "--help"}, []string{"structops-vm build-module", "--w1", "--kdir"}, []string{"--module", "--go"}},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := run(&out, &errb, c.args); code != 0 {
			t.Errorf("%q: exit %d, want 0", c.args, code)
		}
		if errb.Len() != 0 {
			t.Errorf("%q: help wrote to stderr: %q", c.args, errb.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: stdout lacks %q:\n%s", c.args, w, out.String())
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(out.String(), w) {
				t.Errorf("%q: stdout has %q:\n%s", c.args, w, out.String())
			}
		}
	}
}

// TestInputsCheckedFirst gives bad inputs with an empty cache and
// --offline: the input errors, all of them, must come before any kernel
// lookup, Go build or module build.
func TestInputsCheckedFirst(t *testing.T) {
	mod := t.TempDir()
	if err := os.WriteFile(filepath.Join(mod, "Kbuild"), []byte("obj-m := x.o\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--module", mod, "--file", "/nonexistent/loader:/bin/loader", "--", "/bin/loader"},
			[]string{"--file /nonexistent/loader:/bin/loader", "no such file"}},
		{[]string{"--module", t.TempDir(), "--", "/bin/x"}, []string{"no Kbuild or Makefile"}},
		{[]string{"--module", "/nonexistent/mod", "--ko", "/nonexistent/x.ko", "--go", "./nonexistent", "--file", "/nonexistent/a:/a", "--", "x"},
			[]string{"module /nonexistent/mod", "--ko", "/nonexistent/x.ko", "--go: go package ./nonexistent", "--file /nonexistent/a:/a"}},
		{[]string{"--go", "fmt"}, []string{"--go: go package fmt (fmt) is package fmt, not a command"}},
		{[]string{"--go", "../structops-vm", "--file", "main.go:/bin/structops-vm"}, []string{"--go ../structops-vm goes to /bin/structops-vm too"}},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		args := append([]string{"run", "--offline", "--cache", t.TempDir()}, c.args...)
		if code := run(&out, &errb, args); code != 1 {
			t.Errorf("%q: exit %d, want 1; stderr:\n%s", c.args, code, errb.String())
		}
		for _, w := range c.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%q: stderr lacks %q:\n%s", c.args, w, errb.String())
			}
		}
		for _, late := range []string{"offline", "building"} {
			if strings.Contains(errb.String(), late) {
				t.Errorf("%q: got to %q before reporting the bad input:\n%s", c.args, late, errb.String())
			}
		}
	}
}

func TestDynamicFileRefused(t *testing.T) {
	bin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) on the host")
	}
	if f, err := elf.Open(bin); err != nil {
		t.Skipf("%s: %v", bin, err)
	} else {
		dynamic := false
		for _, p := range f.Progs {
			dynamic = dynamic || p.Type == elf.PT_INTERP
		}
		f.Close()
		if !dynamic {
			t.Skipf("%s is static", bin)
		}
	}
	var out, errb bytes.Buffer
	code := run(&out, &errb, []string{"run", "--offline", "--cache", t.TempDir(), "--file", bin + ":/bin/true", "--", "/bin/true"})
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, w := range []string{bin + " is dynamically linked", "CGO_ENABLED=0 go build", "--go PKG"} {
		if !strings.Contains(errb.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, errb.String())
		}
	}
}

func TestSelftestCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"selftest", "--print", "x", "--exit", "7"}); code != 7 || out.String() != "x\n" {
		t.Errorf("selftest: exit %d, stdout %q", code, out.String())
	}
}

func TestFetchUserKernelFailure(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(&out, &errb, []string{"fetch", "--cache", t.TempDir(), "--kernel", "/nonexistent/bzImage", "--kdir", t.TempDir()})
	if code != 1 || !strings.Contains(errb.String(), "/nonexistent/bzImage") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestRunEndToEnd boots the VM through the CLI (skipped like the vm
// package's boot tests unless a kernel is cached or STRUCTOPS_VM=1).
func TestRunEndToEnd(t *testing.T) {
	required := os.Getenv("STRUCTOPS_VM") == "1"
	if testing.Short() && !required {
		t.Skip("boots a VM; skipped in -short mode")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil && !required {
		t.Skip("qemu-system-x86_64 not installed; STRUCTOPS_VM=1 makes this a failure")
	}
	var cache []string
	if c := os.Getenv("STRUCTOPS_VM_CACHE"); c != "" {
		cache = []string{"--cache", c}
	}
	if !required {
		var out, errb bytes.Buffer
		if run(&out, &errb, append([]string{"fetch", "--offline"}, cache...)) != 0 {
			t.Skip("no cached kernel; run `structops-vm fetch` or set STRUCTOPS_VM=1")
		}
	}
	args := append([]string{"run", "--quiet", "--module", "../../vm/testdata/hellomod", "--timeout", "4m"}, cache...)
	var out, errb bytes.Buffer
	code := run(&out, &errb, append(args, "--", "/init", "selftest", "--print", "cli says hi", "--exit", "4"))
	if code != 4 {
		t.Errorf("exit %d, want 4; stderr:\n%s\nconsole:\n%s", code, errb.String(), out.String())
	}
	for _, want := range []string{"\ncli says hi\n", "kmsg: hellomod: hello from the structops-vm test module"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q", want)
		}
	}
}

// TestRunGoOutsideCheckout is the go install scenario: structops-vm built
// with cgo on (dynamically linked, as go install makes it by default), run
// from a module of the user's outside the checkout, builds the user's
// command with --go and runs it in the guest with the arguments after --.
func TestRunGoOutsideCheckout(t *testing.T) {
	if os.Getenv("STRUCTOPS_VM") != "1" {
		t.Skip("boots a VM: set STRUCTOPS_VM=1")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "structops-vm")
	cgo := "1"
	if _, err := exec.LookPath("gcc"); err != nil {
		cgo = "0"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build structops-vm: %v\n%s", err, out)
	}
	if f, err := elf.Open(bin); err == nil {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Logf("structops-vm is dynamically linked (CGO_ENABLED=%s)", cgo)
			}
		}
		f.Close()
	}
	mod, err := filepath.Abs("../../vm/testdata/hellomod")
	if err != nil {
		t.Fatal(err)
	}
	proj := filepath.Join(tmp, "proj")
	for name, data := range map[string]string{
		"go.mod": "module example.com/proj\n\ngo 1.25\n",
		"hello/main.go": `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("hello args %q\n", os.Args[1:])
	os.Exit(3)
}
`,
	} {
		p := filepath.Join(proj, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"run", "--offline", "--timeout", "4m", "--module", mod, "--go", "./hello", "--", "a", "b c"}
	if c := os.Getenv("STRUCTOPS_VM_CACHE"); c != "" {
		args = append([]string{args[0], "--cache", c}, args[1:]...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = proj
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if code != 3 {
		t.Fatalf("exit %d (%v), want 3; stderr:\n%s\nconsole:\n%s", code, err, errb.String(), out.String())
	}
	t.Logf("progress:\n%s", errb.String())
	for _, want := range []string{`hello args ["a" "b c"]`, "kmsg: hellomod: hello from the structops-vm test module"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out.String())
		}
	}
}
