package main

import (
	"bytes"
	"os"
	"os/exec"
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
		{[]string{"run"}, "nothing to do"},
		{[]string{"run", "--no-such-flag", "--", "/bin/x"}, "unknown flag"},
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
	}
}

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"run", "--help"}); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	for _, want := range []string{"structops-vm run", "--module", "--ko", "--file", "--timeout", "--kernel", "--kdir", "--cache", "--series", "Examples:"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("help lacks %q", want)
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
