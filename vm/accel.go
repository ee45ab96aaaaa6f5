package vm

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// kvmProbeTimeout bounds the one-time KVM probe: a broken KVM may hang.
const kvmProbeTimeout = 20 * time.Second

// kvmFailures are qemu/kernel messages of a KVM that cannot run the guest.
var kvmFailures = []string{
	"failed to set MSR",
	"KVM internal error",
	"emulation failure",
	"kvm_buf_set_msrs",
	"Could not access KVM kernel module",
	"failed to initialize kvm",
	"failed to initialize KVM",
	"Assertion",
}

// chooseAccel resolves "auto" to "kvm" or "tcg". With auto, KVM is used only
// if a probe boot under KVM reached the kernel and exited cleanly; the
// verdict is cached per host kernel in <cache>/accel.
func chooseAccel(ctx context.Context, k *Kernel, want string, p progress) (string, error) {
	switch want {
	case "kvm", "tcg":
		return want, nil
	case "", "auto":
	default:
		return "", fmt.Errorf("accel %q: want auto, kvm or tcg", want)
	}
	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err != nil {
		return "tcg", nil
	} else {
		f.Close()
	}
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	host := unix.ByteSliceToString(uts.Release[:])
	verdictFile := filepath.Join(k.CacheDir, "accel")
	if data, err := os.ReadFile(verdictFile); err == nil {
		if f := strings.SplitN(strings.TrimSpace(string(data)), "\t", 3); len(f) >= 2 && f[1] == host && (f[0] == "kvm" || f[0] == "tcg") {
			return f[0], nil
		}
	}
	t := p.start("probing KVM once (up to %s; verdict cached in %s)", kvmProbeTimeout, verdictFile)
	// no initrd: the kernel panics for lack of a root fs and, with
	// panic=-1 -no-reboot, qemu exits. A broken KVM errors out or hangs.
	args := append(qemuArgs("kvm", 256, 1), "-kernel", k.Vmlinuz, "-append", "console=ttyS0 panic=-1 loglevel=4")
	res, timedOut, err := runQemuWatch(ctx, kvmProbeTimeout, args, io.Discard, func(line string) bool {
		return failureLine(line) != ""
	})
	if err != nil {
		return "", err
	}
	ok, reason := kvmVerdict(res.Console, timedOut)
	accel := "tcg"
	if ok {
		accel = "kvm"
	}
	p.printf("KVM probe: %s -> using %s", reason, accel)
	t.done()
	if err := os.WriteFile(verdictFile, []byte(accel+"\t"+host+"\t"+reason+"\n"), 0o644); err != nil {
		return "", err
	}
	return accel, nil
}

func failureLine(line string) string {
	for _, f := range kvmFailures {
		if strings.Contains(line, f) {
			return f
		}
	}
	return ""
}

// kvmVerdict judges the console of a KVM probe boot: KVM works if the guest
// kernel reached its panic (no root fs) without a KVM error and qemu exited.
func kvmVerdict(console string, timedOut bool) (bool, string) {
	for _, line := range strings.Split(console, "\n") {
		if f := failureLine(line); f != "" {
			return false, "kvm failed: " + strings.TrimSpace(line)
		}
	}
	if timedOut {
		return false, fmt.Sprintf("kvm hung (no exit within %s)", kvmProbeTimeout)
	}
	if !strings.Contains(console, "Kernel panic") {
		return false, "kvm guest exited without booting the kernel"
	}
	return true, "kvm works"
}
