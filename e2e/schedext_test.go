package e2e

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/vm"
)

// TestSchedExtInVM runs the Go scx_simple (examples/scxsimple) on the
// second kernel series (Debian 7.3, CONFIG_SCHED_CLASS_EXT=y), all checks
// in one boot (e2e/scxguest reports each as an E2E-STEP line): attach, and
// sched_ext is enabled with root/ops naming it; a workload of CPU-bound
// and short-lived processes completes with every task in the ext class and
// the per-CPU counters growing; SIGINT and SIGKILL of the loader both return
// every task to the fair class, which keeps running; --once in FIFO mode;
// a variant whose dispatch never moves tasks is ejected by the watchdog
// within timeout_ms and the loader prints the kernel's reason; no WARN,
// BUG or Oops in the kernel log. The generated default stack (the golden
// case schedext, a global FIFO) runs in the same boot: its loader's --once
// attaches, sees it enabled, a workload runs in the ext class, it prints
// the call counts, detaches and exits 0.
func TestSchedExtInVM(t *testing.T) {
	k := series2Kernel(t)
	work := t.TempDir()
	loader := filepath.Join(work, "scxsimple")
	guest := filepath.Join(work, "scxguest")
	goBuild(t, loader, "../examples/scxsimple/cmd/scxsimple")
	goBuild(t, guest, "./scxguest")
	// the generated default stack (the golden case schedext)
	gen := filepath.Join(work, "scxgen")
	goBuild(t, gen, "../gen/testdata/golden/schedext/want/schedextops/loader")
	var console io.Writer // STRUCTOPS_E2E_CONSOLE=<file> keeps the whole console
	if name := os.Getenv("STRUCTOPS_E2E_CONSOLE"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		console = f
	}
	res, err := vm.Run(context.Background(), k, vm.RunSpec{
		Files: []vm.File{{HostPath: loader, GuestPath: "/bin/scxsimple"}, {HostPath: guest, GuestPath: "/bin/scxguest"},
			{HostPath: gen, GuestPath: "/bin/scxgen"}},
		Command: []string{"/bin/scxguest", "check"},
		NoTrace: true, Timeout: 10 * time.Minute,
	}, console)
	if err != nil {
		t.Fatal(err)
	}
	steps := stepLine.FindAllStringSubmatch(res.Console, -1)
	for _, m := range steps {
		if m[2] == "FAIL" {
			t.Errorf("step %s failed%s", m[1], m[3])
		} else {
			t.Logf("step %s: PASS%s", m[1], m[3])
		}
	}
	const want = 11
	if len(steps) != want {
		t.Errorf("%d of %d steps reported; console tail:\n%s", len(steps), want, tail(res.Console, 60))
	}
	for _, m := range regexp.MustCompile(`(?m)^SCX-METRIC (.*)$`).FindAllStringSubmatch(res.Console, -1) {
		t.Logf("%s", m[1])
	}
	if res.ExitCode != 0 && !t.Failed() {
		t.Errorf("guest exit status %d; console tail:\n%s", res.ExitCode, tail(res.Console, 60))
	}
	// the kernel logs each enable and the watchdog's ejection (as an
	// error with a backtrace, not a WARN)
	for _, want := range []string{`BPF scheduler "gosimple" enabled`, `BPF scheduler "gosimple" disabled (unregistered from user space)`,
		`BPF scheduler "gosimple" disabled (runnable task stall)`, `BPF scheduler "gofifo" enabled`,
		`BPF scheduler "gofifo" disabled (unregistered from user space)`} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("kernel log lacks %q", want)
		}
	}
	checkKernelLog(t, res.Console)
	t.Logf("%s: VM run %v (%s)", k.Version, res.Elapsed.Round(time.Millisecond), res.Accel)
}
