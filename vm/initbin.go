package vm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// InitPackage is the main package built as the guest /init: the
// structops-vm command runs guest.Main when it is PID 1.
const InitPackage = "github.com/structops/structops-gen/cmd/structops-vm"

var selfIsInit bool

// UseExecutableAsInit tells InitBinary that the running executable runs
// guest.Main when it is PID 1 (cmd/structops-vm does), so that, if it is
// statically linked, it can be its own /init.
func UseExecutableAsInit() { selfIsInit = true }

// InitBinary returns a static binary to use as /init: the running
// executable if UseExecutableAsInit was called and it is static, else
// InitPackage built with CGO_ENABLED=0 into cacheDir/init (this needs the
// Go toolchain and a working directory inside the structops-gen module).
func InitBinary(ctx context.Context, cacheDir string) (string, error) {
	return initBinary(ctx, cacheDir, progress{})
}

func initBinary(ctx context.Context, cacheDir string, p progress) (string, error) {
	if selfIsInit {
		if self, err := os.Executable(); err == nil && checkStatic(self) == nil {
			return self, nil
		}
	}
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
		return "", fmt.Errorf("build the guest /init (go build %s): %w\n%s\nrun from the structops-gen checkout, or build structops-vm with CGO_ENABLED=0 so it is its own /init", InitPackage, err, strings.TrimSpace(string(out)))
	}
	t.done()
	bin := filepath.Join(dir, "structops-vm-init")
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
}
