package bpf_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/structops/structops-gen/bpf"
)

// unprivEnv marks the child process of TestLoadUnprivileged.
const unprivEnv = "STRUCTOPS_TEST_UNPRIVILEGED_CHILD"

// TestLoadUnprivileged re-runs this test binary as nobody (uid 65534: no
// capabilities) and checks that loading a struct_ops implementation there
// fails saying to run as root or with CAP_BPF and CAP_SYS_ADMIN.
func TestLoadUnprivileged(t *testing.T) {
	if os.Getenv(unprivEnv) == "1" {
		_, err := bpf.Load(tcpOps, minimalCC(), &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("u"))}})
		fmt.Printf("LOAD ERROR: %v\n", err)
		return
	}
	needRoot(t)
	// nobody cannot reach the go build cache: run a world-readable copy
	dir, err := os.MkdirTemp("", "structops-unpriv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bpf.test")
	if err := copyExecutable(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestLoadUnprivileged$", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), unprivEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	line := ""
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "LOAD ERROR: ") {
			line = strings.TrimPrefix(l, "LOAD ERROR: ")
		}
	}
	if line == "" || line == "<nil>" {
		t.Fatalf("Load as nobody: %q, want an error\n%s", line, out)
	}
	if !strings.Contains(line, "run as root or with CAP_BPF and CAP_SYS_ADMIN") {
		t.Fatalf("Load as nobody: %s\nwant it to say: run as root or with CAP_BPF and CAP_SYS_ADMIN", line)
	}
	t.Logf("as nobody: %s", line)
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
