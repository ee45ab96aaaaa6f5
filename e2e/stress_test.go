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

var stressResult = regexp.MustCompile(`(?m)^STRESS-RESULT: (PASS|FAIL)(.*)$`)

// TestStressInVM boots the checked-in default stack (module/ and
// bpftestmodops/) with the guest program e2e/stress: writers call test_2
// through the trigger while implementations are attached, hot-swapped
// with BPF_LINK_UPDATE and detached hundreds of times, then loaders are
// SIGKILLed mid-attach and mid-update, a second loader and rmmod while
// attached are refused, and the module unloads at the end. The kernel log
// must stay free of warnings, oopses and RCU stalls. STRUCTOPS_STRESS_ARGS
// (e.g. "-cycles 50 -kills 10") overrides the guest program's defaults.
func TestStressInVM(t *testing.T) {
	k := kernel(t)
	ctx := context.Background()
	work := t.TempDir()

	kos, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join("..", "module"), vm.BuildOptions{Dir: filepath.Join(work, "build"), W1: true})
	if err != nil {
		t.Fatal(err)
	}
	loader := filepath.Join(work, "loader")
	goBuild(t, loader, "../bpftestmodops/loader")
	stress := filepath.Join(work, "stress")
	goBuild(t, stress, "./stress")

	argv := []string{"/bin/stress"}
	if a := os.Getenv("STRUCTOPS_STRESS_ARGS"); a != "" {
		argv = append(argv, strings.Fields(a)...)
	}
	var console io.Writer // STRUCTOPS_STRESS_CONSOLE=<file> keeps the whole console
	if name := os.Getenv("STRUCTOPS_STRESS_CONSOLE"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		console = f
	}
	res, err := vm.Run(ctx, k, vm.RunSpec{
		Modules: kos,
		Files: []vm.File{
			{HostPath: loader, GuestPath: "/bin/bpf_testmod-loader"},
			{HostPath: stress, GuestPath: "/bin/stress"},
		},
		Command: argv,
		NoTrace: true,
		// every call logs a line; the stress program reads them all
		Append:  "log_buf_len=64M",
		Timeout: 10 * time.Minute,
	}, console)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(res.Console, "\n") {
		if strings.HasPrefix(l, "stress: ") {
			t.Log(l)
		}
	}
	m := stressResult.FindStringSubmatch(res.Console)
	switch {
	case m == nil:
		t.Errorf("no STRESS-RESULT line (exit status %d); console tail:\n%s", res.ExitCode, tail(res.Console, 60))
	case m[1] == "FAIL":
		t.Errorf("stress failed%s; console tail:\n%s", m[2], tail(res.Console, 60))
	default:
		t.Logf("stress: PASS%s", m[2])
	}
	if res.ExitCode != 0 && !t.Failed() {
		t.Errorf("guest exit status %d; console tail:\n%s", res.ExitCode, tail(res.Console, 60))
	}
	for _, bad := range []string{"WARNING:", "BUG:", "Oops", "Call Trace:", "general protection",
		"self-detected stall", "detected stalls", "rcu_preempt detected", "unreg of an implementation that is not attached"} {
		if i := strings.Index(res.Console, bad); i >= 0 {
			t.Errorf("kernel log has %q:\n%s", bad, tail(res.Console[:min(len(res.Console), i+4000)], 80))
		}
	}
	for _, want := range []string{"bpf_testmod_ops updated", "bpf_testmod_ops registered", "bpf_testmod_ops unregistered"} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("kernel log lacks %q", want)
		}
	}
	t.Logf("VM run: %v (%s)", res.Elapsed.Round(time.Millisecond), res.Accel)
}
