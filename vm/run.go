package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/structops/structops-gen/vm/guest"
)

// DefaultTimeout is the wall-clock limit of one VM run.
const DefaultTimeout = 300 * time.Second

// RunSpec is what to run in the VM.
type RunSpec struct {
	Modules []string      // .ko files, loaded in this order
	Files   []File        // extra files
	Command []string      // guest command argv; empty: only load the modules
	Timeout time.Duration // wall-clock limit for qemu; default DefaultTimeout
	// Init is the static /init binary. Default: the running executable
	// (with its shared objects, see SelfInit) if UseExecutableAsInit was
	// called, else InitBinary(ctx, k.CacheDir).
	Init string
	// Accel is "auto" (default: KVM if a cached probe says it works, else
	// TCG), "kvm" or "tcg".
	Accel string
	// MemoryMB (default 1024) and CPUs (default 2) size the VM.
	MemoryMB, CPUs int
	// Append is added to the kernel command line.
	Append string
	// NoTrace: see guest.Config.NoTrace.
	NoTrace bool
}

// Result is the outcome of a VM run.
type Result struct {
	ExitCode int           // the guest command's exit status (128+N: signal N); -1 if Run failed
	Console  string        // the whole serial console, \r removed
	Accel    string        // "kvm" or "tcg"
	Elapsed  time.Duration // qemu start to exit
}

// Run boots k with an initramfs made of spec, streams the serial console to
// console (may be nil) and returns the guest command's exit status. It
// returns an error (and the Result so far) when the VM did not report a
// status: qemu failure, wall-clock timeout, guest watchdog, module load
// failure. The error then holds the last 40 console lines.
func Run(ctx context.Context, k *Kernel, spec RunSpec, console io.Writer) (*Result, error) {
	if console == nil {
		console = io.Discard
	}
	p := progress{k.Progress}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	init := spec.Init
	var initLibs []File
	if init == "" {
		var err error
		if init, initLibs, err = initFiles(ctx, k.CacheDir, p); err != nil {
			return nil, err
		}
	}
	work, err := os.MkdirTemp("", "structops-vm-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	initrd := filepath.Join(work, "initramfs.cpio.gz")
	ir := Initramfs{Init: init, InitLibs: initLibs, Modules: spec.Modules, Files: spec.Files, Command: spec.Command, NoTrace: spec.NoTrace}
	if err := ir.WriteFile(initrd); err != nil {
		return nil, fmt.Errorf("initramfs: %w", err)
	}
	accel, err := chooseAccel(ctx, k, spec.Accel, p)
	if err != nil {
		return nil, err
	}
	mem, cpus := spec.MemoryMB, spec.CPUs
	if mem <= 0 {
		mem = 1024
	}
	if cpus <= 0 {
		cpus = 2
	}
	// the guest watchdog fires first so that a hang still reports a marker
	guestTimeout := timeout - min(30*time.Second, timeout/5)
	// no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer
	// check can fail and panic the boot ("IO-APIC + timer doesn't work").
	// oops=panic with panic=-1: an oops stops the VM at once (with the
	// console showing it) instead of leaving a half-dead guest to time out.
	cmdline := fmt.Sprintf("console=ttyS0 panic=-1 oops=panic quiet no_timer_check rdinit=/init %s=%s", guest.TimeoutParam, guestTimeout)
	if spec.Append != "" {
		cmdline += " " + spec.Append
	}
	args := append(qemuArgs(accel, mem, cpus), "-kernel", k.Vmlinuz, "-initrd", initrd, "-append", cmdline)
	t := p.start("booting %s (%s, timeout %s)", k.Version, accel, timeout)
	res, timedOut, err := runQemu(ctx, timeout, args, console)
	res.Accel = accel
	if err != nil {
		return res, err
	}
	status, found := parseMarker(res.Console)
	switch {
	case !found && timedOut:
		return res, fmt.Errorf("vm timed out after %s (qemu killed) without a %q line; last console lines:\n%s", timeout, guest.Marker, tail(res.Console, 40))
	case !found:
		return res, fmt.Errorf("vm stopped without a %q line (kernel panic or qemu failure?); last console lines:\n%s", guest.Marker, tail(res.Console, 40))
	}
	code, err := strconv.Atoi(status)
	switch {
	case strings.HasPrefix(status, "timeout"):
		return res, fmt.Errorf("guest command did not finish: %s; raise the timeout (--timeout, RunSpec.Timeout) if it is just slow; last console lines:\n%s", status, tail(res.Console, 40))
	case err != nil:
		return res, fmt.Errorf("vm: %s; last console lines:\n%s", status, tail(res.Console, 40))
	}
	res.ExitCode = code
	t.done()
	return res, nil
}

// parseMarker returns what follows the last guest.Marker on the console.
func parseMarker(console string) (string, bool) {
	i := strings.LastIndex(console, guest.Marker)
	if i < 0 {
		return "", false
	}
	rest := console[i+len(guest.Marker):]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest), true
}

func qemuArgs(accel string, memMB, cpus int) []string {
	if accel == "tcg" {
		// One host thread runs all vCPUs: with multi-threaded TCG the
		// kernel's live text patching (int3 breakpoints, e.g. when a
		// program using bpf_trace_printk enables its tracepoint) now and
		// then left a stale int3 on the other vCPU: "Oops: int3" panics in
		// about 1 of 7 stress boots. The guest still has cpus CPUs.
		accel = "tcg,thread=single"
	}
	return []string{"-accel", accel, "-cpu", "max", "-m", strconv.Itoa(memMB), "-smp", strconv.Itoa(cpus),
		"-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot"}
}

// runQemu runs qemu-system-x86_64 with stdout+stderr as the console. It
// kills qemu after timeout or when stop(line) says so.
func runQemu(ctx context.Context, timeout time.Duration, args []string, console io.Writer) (*Result, bool, error) {
	return runQemuWatch(ctx, timeout, args, console, nil)
}

func runQemuWatch(ctx context.Context, timeout time.Duration, args []string, console io.Writer, stop func(string) bool) (*Result, bool, error) {
	res := &Result{ExitCode: -1}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	pr, pw, err := os.Pipe()
	if err != nil {
		return res, false, err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		if errors.Is(err, exec.ErrNotFound) {
			err = fmt.Errorf("%w (apt-get install qemu-system-x86)", err)
		}
		return res, false, fmt.Errorf("start qemu: %w", err)
	}
	pw.Close()
	var out strings.Builder
	var once sync.Once
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.ReplaceAll(sc.Text(), "\r", "")
		out.WriteString(line + "\n")
		fmt.Fprintln(console, line)
		if stop != nil && stop(line) {
			once.Do(func() { cmd.Process.Kill() })
		}
	}
	pr.Close()
	werr := cmd.Wait()
	res.Console = out.String()
	res.Elapsed = time.Since(t0)
	timedOut := ctx.Err() == context.DeadlineExceeded
	if werr != nil && !timedOut && cmd.ProcessState == nil {
		return res, false, fmt.Errorf("qemu: %w", werr)
	}
	return res, timedOut, nil
}
