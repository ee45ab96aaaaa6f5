package vm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bootKernel returns the kernel for the boot tests. With STRUCTOPS_VM=1 it
// downloads one if needed and fails on any missing piece; otherwise it skips
// unless qemu is installed and a kernel is already cached.
func bootKernel(t *testing.T) *Kernel {
	t.Helper()
	required := os.Getenv("STRUCTOPS_VM") == "1"
	if testing.Short() && !required {
		t.Skip("boots a VM; skipped in -short mode (STRUCTOPS_VM=1 forces it)")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil && !required {
		t.Skip("qemu-system-x86_64 not installed (apt-get install qemu-system-x86); STRUCTOPS_VM=1 makes this a failure")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	k, err := Prepare(ctx, Config{CacheDir: os.Getenv("STRUCTOPS_VM_CACHE"), Offline: !required, Progress: testWriter{t}})
	if err != nil {
		if !required {
			t.Skipf("no cached kernel (%v); run `structops-vm fetch` or set STRUCTOPS_VM=1", err)
		}
		t.Fatal(err)
	}
	return k
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestBootModuleAndCommand(t *testing.T) {
	k := bootKernel(t)
	ctx := context.Background()
	t0 := time.Now()
	kos, err := BuildModuleOpts(ctx, k.KDir, "testdata/hellomod", BuildOptions{Dir: t.TempDir(), Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	if len(kos) != 1 || filepath.Base(kos[0]) != "hellomod.ko" {
		t.Fatalf("built %q, want one hellomod.ko", kos)
	}
	if _, err := os.Stat("testdata/hellomod/hellomod.ko"); err == nil {
		t.Error("the build wrote into the source dir")
	}
	t1 := time.Now()
	res, err := Run(ctx, k, RunSpec{
		Modules: kos,
		Command: []string{"/init", "selftest", "--print", "hello from the guest command",
			"--kmsg", "selftest: a kernel log line", "--trace", "selftest: a trace line", "--exit", "3"},
		Timeout: 5 * time.Minute,
	}, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("timings: module build %.1fs, VM run (initramfs + qemu boot to exit) %.1fs (%s)", t1.Sub(t0).Seconds(), time.Since(t1).Seconds(), res.Accel)
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", res.ExitCode)
	}
	for _, want := range []string{
		"\nhello from the guest command\n",
		"\nkmsg: hellomod: hello from the structops-vm test module\n",
		"\nkmsg: selftest: a kernel log line\n",
		"tracing_mark_write: selftest: a trace line\n",
		"\nSTRUCTOPS-VM-EXIT: 3\n",
	} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("console lacks %q", want)
		}
	}
}

// A file copied into the guest is readable there, and a command killed by a
// signal reports 128+signal.
func TestBootFileAndSignal(t *testing.T) {
	k := bootKernel(t)
	f := filepath.Join(t.TempDir(), "greeting")
	os.WriteFile(f, []byte("greetings from the host file\n"), 0o644)
	res, err := Run(context.Background(), k, RunSpec{
		Files:   []File{{HostPath: f, GuestPath: "/etc/greeting"}},
		Command: []string{"/init", "selftest", "--cat", "/etc/greeting", "--kill"},
	}, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 128+9 {
		t.Errorf("exit code %d, want 137 (SIGKILL)", res.ExitCode)
	}
	if !strings.Contains(res.Console, "\ngreetings from the host file\n") {
		t.Error("console lacks the file's contents")
	}
}

// A module whose init fails stops the run with an init error that names the
// module, and the command does not run.
func TestBootModuleLoadFailure(t *testing.T) {
	k := bootKernel(t)
	ctx := context.Background()
	kos, err := BuildModuleOpts(ctx, k.KDir, "testdata/failmod", BuildOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, k, RunSpec{Modules: kos, Command: []string{"/init", "selftest", "--print", "must not run"}}, testWriter{t})
	if err == nil {
		t.Fatalf("run succeeded with exit code %d", res.ExitCode)
	}
	for _, want := range []string{"init-error: finit_module /modules/failmod.ko: no such device", "kmsg: failmod: refusing to load"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(res.Console, "must not run") {
		t.Error("the command ran after a failed module load")
	}
}

// A module built without vmlinux (so without BTF) is rejected with an
// explanation, and a broken module shows the compiler's error.
func TestBuildModuleFailures(t *testing.T) {
	k := bootKernel(t)
	ctx := context.Background()

	// a kbuild dir without vmlinux: a dir of symlinks to the real one
	kdir := t.TempDir()
	ents, err := os.ReadDir(k.KDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "vmlinux" {
			os.Symlink(filepath.Join(k.KDir, e.Name()), filepath.Join(kdir, e.Name()))
		}
	}
	_, err = BuildModuleOpts(ctx, kdir, "testdata/hellomod", BuildOptions{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "has no .BTF section") || !strings.Contains(err.Error(), "Skipping BTF generation") {
		t.Errorf("module without BTF: err = %v", err)
	}
	t.Logf("module without BTF: %v", err)

	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "Kbuild"), []byte("obj-m += broken.o\n"), 0o644)
	os.WriteFile(filepath.Join(src, "broken.c"), []byte("#include <linux/module.h>\nint broken(void) { return undeclared_thing; }\nMODULE_LICENSE(\"GPL\");\n"), 0o644)
	_, err = BuildModuleOpts(ctx, k.KDir, src, BuildOptions{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "undeclared_thing") {
		t.Errorf("broken module: err = %v", err)
	}
}
