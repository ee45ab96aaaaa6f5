package vm

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDynamicInitWithLibs packs a dynamically linked init (the host's
// cat(1)) with the shared objects sharedObjects lists from the maps of a
// running cat, as SelfInit does for a cgo build of structops-vm: the image
// holds every library cat's DT_NEEDED names and, as root, cat runs chrooted
// into the unpacked image, i.e. with nothing but those files.
func TestDynamicInitWithLibs(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip(err)
	}
	if cat, err = filepath.EvalSymlinks(cat); err != nil {
		t.Fatal(err)
	}
	interp, err := interpreter(cat)
	if err != nil || interp == "" {
		t.Skipf("no dynamically linked cat: %q, %v", interp, err)
	}
	cmd := exec.Command(cat)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	// a line echoed back means cat runs main: its dynamic linker is done
	if _, err := io.WriteString(in, "x\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(out, make([]byte, 2)); err != nil {
		t.Fatal(err)
	}
	maps, err := os.Open(fmt.Sprintf("/proc/%d/maps", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer maps.Close()
	libs, err := sharedObjects(cat, interp, maps)
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) == 0 || libs[0].HostPath != interp || libs[0].GuestPath != interp {
		t.Fatalf("sharedObjects: %v, want the interpreter %s first", libs, interp)
	}
	checkNeeded(t, cat, libs)

	_, ir := testInputs(t)
	ir.Init = cat
	ir.InitLibs = libs
	var b bytes.Buffer
	if err := ir.Write(&b); err != nil {
		t.Fatal(err)
	}
	_, entries := readInitramfs(t, b.Bytes())
	for _, l := range libs {
		if _, ok := entries[strings.TrimPrefix(l.GuestPath, "/")]; !ok {
			t.Errorf("initramfs lacks %s", l.GuestPath)
		}
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the packed init is not run chrooted")
		return
	}
	root := t.TempDir()
	for name, e := range entries {
		if !e.mode.IsRegular() {
			continue
		}
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(e.data), os.FileMode(e.mode.Perm())); err != nil {
			t.Fatal(err)
		}
	}
	run := exec.Command("/init")
	run.Dir = "/"
	run.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	run.Stdin = strings.NewReader("packed\n")
	got, err := run.CombinedOutput()
	if err != nil || string(got) != "packed\n" {
		t.Errorf("cat as /init chrooted into the image: %q, %v", got, err)
	}
}

// TestSelfInit checks the running test binary as its own /init: with no
// shared objects when it is static (CGO_ENABLED=0), else with its
// interpreter first and every library its DT_NEEDED names.
func TestSelfInit(t *testing.T) {
	init, libs, err := SelfInit()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if init != exe {
		t.Errorf("init = %s, want %s", init, exe)
	}
	interp, err := interpreter(exe)
	if err != nil {
		t.Fatal(err)
	}
	if interp == "" {
		if libs != nil {
			t.Errorf("static test binary: libs = %v, want none", libs)
		}
		return
	}
	if len(libs) == 0 || libs[0].GuestPath != interp {
		t.Fatalf("libs = %v, want the interpreter %s first", libs, interp)
	}
	checkNeeded(t, exe, libs)
}

// checkNeeded checks that libs holds each shared object bin's DT_NEEDED
// names: a file of that name, or the file a link of that name next to it
// points to.
func checkNeeded(t *testing.T, bin string, libs []File) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(needed) == 0 {
		t.Fatalf("%s needs no shared objects", bin)
	}
	for _, so := range needed {
		found := false
		for _, l := range libs {
			if filepath.Base(l.GuestPath) == so {
				found = true
				break
			}
			a, errA := os.Stat(filepath.Join(filepath.Dir(l.HostPath), so))
			b, errB := os.Stat(l.HostPath)
			if errA == nil && errB == nil && os.SameFile(a, b) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s needs %s; libs lack it: %v", bin, so, libs)
		}
	}
}
