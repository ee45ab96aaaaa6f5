package vm

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// InitPackage is the main package built as the guest /init: the
// structops-vm command runs guest.Main when it is PID 1.
const InitPackage = "github.com/structops/structops-gen/cmd/structops-vm"

var selfIsInit bool

// UseExecutableAsInit tells Run that the running executable runs
// guest.Main when it is PID 1 (cmd/structops-vm does), so that it is its own
// /init: as is when it is static, with its shared objects when it is
// dynamically linked (see SelfInit).
func UseExecutableAsInit() { selfIsInit = true }

// InitBinary returns a static binary to use as /init: InitPackage built
// with CGO_ENABLED=0 into cacheDir/init. This needs the Go toolchain and a
// working directory inside the structops-gen module; a program that runs
// guest.Main as PID 1 itself calls UseExecutableAsInit instead, and needs
// neither.
func InitBinary(ctx context.Context, cacheDir string) (string, error) {
	return buildInit(ctx, cacheDir, progress{})
}

// SelfInit returns the running executable as /init and, if it is
// dynamically linked (a Go binary built with cgo enabled, the default of
// `go install`, links libc because pflag imports net and archive/tar
// imports os/user), the shared objects it runs with, to be put into the
// initramfs at their host paths: its program interpreter and every shared
// object /proc/self/maps shows mapped, which are exactly the files the host's
// dynamic linker chose, plus /etc/ld.so.cache. The guest then runs the very
// binary the user installed, with no toolchain, source or network needed.
func SelfInit() (init string, libs []File, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("guest /init: %w", err)
	}
	interp, err := interpreter(self)
	if err != nil || interp == "" {
		return self, nil, err
	}
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		return "", nil, fmt.Errorf("guest /init %s is dynamically linked: its shared objects: %w", self, err)
	}
	defer maps.Close()
	libs, err = sharedObjects(self, interp, maps)
	if err != nil {
		return "", nil, fmt.Errorf("guest /init %s is dynamically linked: its shared objects: /proc/self/maps: %w", self, err)
	}
	return self, libs, nil
}

// interpreter returns the PT_INTERP path of an ELF executable, "" if it is
// static.
func interpreter(bin string) (string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return "", fmt.Errorf("binary %s: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", fmt.Errorf("binary %s: program interpreter: %w", bin, err)
			}
			return strings.TrimRight(string(b), "\x00"), nil
		}
	}
	return "", nil
}

// sharedObjects lists the files a dynamically linked executable self needs
// in the guest, from the /proc/PID/maps of a process running it after its
// dynamic linker is done: its interpreter at the path the ELF names (a copy
// of the symlink's target), each shared object mapped into the process at
// its path, and the linker cache.
func sharedObjects(self, interp string, maps io.Reader) ([]File, error) {
	seen := map[string]bool{interp: true}
	libs := []File{{HostPath: interp, GuestPath: interp}}
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		p := fields[5]
		if !strings.HasPrefix(p, "/") || p == self || seen[p] || !strings.Contains(filepath.Base(p), ".so") {
			continue
		}
		seen[p] = true
		libs = append(libs, File{HostPath: p, GuestPath: p})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if _, err := os.Stat("/etc/ld.so.cache"); err == nil {
		libs = append(libs, File{HostPath: "/etc/ld.so.cache", GuestPath: "/etc/ld.so.cache"})
	}
	return libs, nil
}

// initFiles returns the /init binary and the shared objects it needs.
func initFiles(ctx context.Context, cacheDir string, p progress) (string, []File, error) {
	if selfIsInit {
		return SelfInit()
	}
	bin, err := buildInit(ctx, cacheDir, p)
	return bin, nil, err
}

func buildInit(ctx context.Context, cacheDir string, p progress) (string, error) {
	dir := filepath.Join(cacheDir, "init")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".build-")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	t := p.start("building the guest /init (CGO_ENABLED=0 go build %s)", InitPackage)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), InitPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the guest /init (go build %s): %w\n%s\nrun from the structops-gen checkout, or call vm.UseExecutableAsInit from a binary that runs guest.Main as PID 1", InitPackage, err, strings.TrimSpace(string(out)))
	}
	t.done()
	bin := filepath.Join(dir, "structops-vm-init")
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
}
