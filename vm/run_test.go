package vm

import (
	"strings"
	"testing"
	"time"
)

func timeUnix(s int64) time.Time { return time.Unix(s, 0) }

func TestParseMarker(t *testing.T) {
	cases := []struct {
		console, want string
		found         bool
	}{
		{"boot\nSTRUCTOPS-VM-EXIT: 3\n[ 2.6] reboot: Power down\n", "3", true},
		{"no marker here\n", "", false},
		// the command printed a fake marker earlier; the init's is last
		{"STRUCTOPS-VM-EXIT: 0\nx\nSTRUCTOPS-VM-EXIT: 137\n", "137", true},
		// a kernel message glued to the line start
		{"[ 1.0] foo STRUCTOPS-VM-EXIT: init-error: finit_module /modules/a.ko: exec format error\n", "init-error: finit_module /modules/a.ko: exec format error", true},
		{"STRUCTOPS-VM-EXIT: timeout: guest watchdog fired", "timeout: guest watchdog fired", true},
	}
	for _, c := range cases {
		got, found := parseMarker(c.console)
		if got != c.want || found != c.found {
			t.Errorf("parseMarker(%q) = %q, %v; want %q, %v", c.console, got, found, c.want, c.found)
		}
	}
}

func TestKVMVerdict(t *testing.T) {
	cases := []struct {
		name, log string
		timedOut  bool
		ok        bool
		reason    string
	}{
		{"msr", "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\nqemu-system-x86_64: ../../target/i386/kvm/kvm.c:3176: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.\n", false, false, "failed to set MSR"},
		{"internal error hang", "SeaBIOS (version 1.16.2-debian-1.16.2-1)\nKVM internal error. Suberror: 1\nemulation failure\n", true, false, "KVM internal error"},
		{"silent hang", "Booting from ROM..\n", true, false, "hung"},
		{"no kernel", "qemu-system-x86_64: -kernel x: could not load kernel\n", false, false, "without booting"},
		{"works", "[    0.000000] Linux version 6.12.117+deb12-amd64\n[    1.2] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n", false, true, "works"},
	}
	for _, c := range cases {
		ok, reason := kvmVerdict(c.log, c.timedOut)
		if ok != c.ok || !strings.Contains(reason, c.reason) {
			t.Errorf("%s: kvmVerdict = %v, %q; want %v, ~%q", c.name, ok, reason, c.ok, c.reason)
		}
	}
}

func TestTail(t *testing.T) {
	if got := tail("a\nb\nc\n", 2); got != "b\nc\n" {
		t.Errorf("tail = %q", got)
	}
	if got := tail("", 2); got != "" {
		t.Errorf("tail of empty = %q", got)
	}
}

func TestFirstError(t *testing.T) {
	log := "  CC [M]  /m/a.o\n/m/a.c:38:2: error: #error \"a needs Linux 6.11 or newer\"\n/m/a.c:73:16: error: too many arguments\nmake: *** Error 1\n"
	if got := firstError(log); got != `/m/a.c:38:2: error: #error "a needs Linux 6.11 or newer"` {
		t.Errorf("firstError = %q", got)
	}
	if got := firstError("make: *** Error 2\n"); got != "" {
		t.Errorf("firstError without a compiler error = %q", got)
	}
}
