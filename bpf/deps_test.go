package bpf

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRuntimeLinksNoCLI: the runtime every generated package imports
// links neither spf13/pflag nor the loader's command line (package
// loadercmd).
func TestRuntimeLinksNoCLI(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "pflag") || strings.HasSuffix(p, "/loadercmd") {
			t.Errorf("package bpf depends on %s", p)
		}
	}
}
