package gen

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/output"
	"github.com/structops/structops-gen/gen/read/header"
	"github.com/structops/structops-gen/internal/testfs"
)

// renderHeader renders a header spec for the import path of dir.
func renderHeader(t *testing.T, src string) output.Files {
	t.Helper()
	o, err := header.Parse("spec.h", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Render(o, Options{GoImport: fuzzGoImport})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

const (
	specRunStop      = "struct job_ops {\n\tint (*run)(int a);\n\tint (*stop)(int a);\n};\n"
	specRunStopPause = "struct job_ops {\n\tint (*run)(int a);\n\tint (*stop)(int a);\n\tint (*pause)(u32 ms);\n};\n"
	specRun          = "struct job_ops {\n\tint (*run)(int a);\n};\n"
)

// generated writes a generation of spec into a fresh dir, with the user's
// edit to callbacks.go, and returns the dir.
func generated(t *testing.T, spec string) string {
	t.Helper()
	dir := t.TempDir()
	if err := renderHeader(t, spec).Write(dir); err != nil {
		t.Fatal(err)
	}
	cb := filepath.Join(dir, "jobops", "callbacks.go")
	data, err := os.ReadFile(cb)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "// Run implements", "// Run is mine now.\n// Run implements", 1)
	if edited == string(data) {
		t.Fatal("no Run in callbacks.go")
	}
	if err := os.WriteFile(cb, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeFails checks that writing fs into dir fails with every one of want
// in the message, changes nothing, and that Check reports the same.
func writeFails(t *testing.T, fs output.Files, dir string, want ...string) {
	t.Helper()
	before := testfs.DirState(t, dir)
	err := fs.Write(dir)
	if err == nil {
		t.Fatal("Write succeeded")
	}
	checkMessage(t, err)
	for _, w := range append(want, filepath.Join(dir, "jobops", "callbacks.go")+" (yours", "delete the file to get the default callbacks") {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Write: %v\nwant %q in it", err, w)
		}
	}
	testfs.SameState(t, before, testfs.DirState(t, dir))
	drift, err := fs.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range drift {
		if d.Kind == output.Unfit && d.Path == "jobops/callbacks.go" {
			found = true
			for _, w := range want {
				if !strings.Contains(d.String(), w) {
					t.Errorf("Check: %q, want %q in it", d, w)
				}
			}
		}
	}
	if !found {
		t.Errorf("Check does not report callbacks.go: %q", drift)
	}
}

// TestCallbacksFitSpec: regenerating keeps the user's callbacks.go, so a
// spec that gained or lost callbacks must be refused with what to do, not
// turned into a package that does not compile.
func TestCallbacksFitSpec(t *testing.T) {
	t.Run("spec gained a callback", func(t *testing.T) {
		dir := generated(t, specRunStop)
		writeFails(t, renderHeader(t, specRunStopPause), dir,
			"it lacks Pause (member pause), which ops.go calls: add it (generating into an empty directory writes the default bodies)")
	})
	t.Run("spec lost a callback", func(t *testing.T) {
		dir := generated(t, specRunStop)
		writeFails(t, renderHeader(t, specRun), dir, "Stop uses StopSig, which the spec no longer declares", "delete or update the stale code")
	})
	t.Run("user declares a name ops.go now declares", func(t *testing.T) {
		dir := generated(t, specRunStop)
		cb := filepath.Join(dir, "jobops", "callbacks.go")
		data, _ := os.ReadFile(cb)
		if err := os.WriteFile(cb, append(data, "\n// PauseSig is my helper.\nvar PauseSig = RunSig\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		writeFails(t, renderHeader(t, specRunStopPause), dir, "it declares PauseSig, which ops.go now declares too", "rename yours", "it lacks Pause (member pause)")
	})
	t.Run("does not parse", func(t *testing.T) {
		dir := generated(t, specRunStop)
		cb := filepath.Join(dir, "jobops", "callbacks.go")
		data, _ := os.ReadFile(cb)
		if err := os.WriteFile(cb, append(data, "func Broken( {\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		before := testfs.DirState(t, dir)
		err := renderHeader(t, specRunStop).Write(dir)
		if err == nil || !strings.Contains(err.Error(), "callbacks.go (yours: regeneration keeps it) does not parse: ") ||
			!strings.Contains(err.Error(), "fix it, or delete it to get the default callbacks") {
			t.Fatalf("Write: %v", err)
		}
		checkMessage(t, err)
		testfs.SameState(t, before, testfs.DirState(t, dir))
	})
	t.Run("following the advice", func(t *testing.T) {
		next := renderHeader(t, specRunStopPause)
		// delete the file: the defaults come back and the package compiles
		dir := generated(t, specRunStop)
		if err := os.Remove(filepath.Join(dir, "jobops", "callbacks.go")); err != nil {
			t.Fatal(err)
		}
		if err := next.Write(dir); err != nil {
			t.Fatal(err)
		}
		if err := goCompiles(onDisk(t, next, dir), false); err != nil {
			t.Fatal(err)
		}
		// or add the function from a fresh generation: the edit is kept
		dir = generated(t, specRunStop)
		fresh := t.TempDir()
		if err := next.Write(fresh); err != nil {
			t.Fatal(err)
		}
		body, _ := os.ReadFile(filepath.Join(fresh, "jobops", "callbacks.go"))
		i := strings.Index(string(body), "// Pause implements")
		if i < 0 {
			t.Fatal("no Pause in a fresh callbacks.go")
		}
		cb := filepath.Join(dir, "jobops", "callbacks.go")
		mine, _ := os.ReadFile(cb)
		if err := os.WriteFile(cb, append(mine, "\n"+string(body[i:])...), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := next.Write(dir); err != nil {
			t.Fatal(err)
		}
		got := onDisk(t, next, dir)
		if err := goCompiles(got, false); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(fileData(got, "jobops/callbacks.go")), "// Run is mine now.") {
			t.Error("the user's edit is gone")
		}
		if drift, err := next.Check(dir); err != nil || len(drift) > 0 {
			t.Errorf("Check: %v %q", err, drift)
		}
	})
	t.Run("helpers in another file", func(t *testing.T) {
		dir := generated(t, specRunStop)
		cb := filepath.Join(dir, "jobops", "callbacks.go")
		data, _ := os.ReadFile(cb)
		edited := strings.Replace(string(data), "func Run() asm.Instructions {", "func Run() asm.Instructions {\n\t_ = helperLimit", 1)
		if err := os.WriteFile(cb, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "jobops", "helpers.go"), []byte("package jobops\n\nconst helperLimit = 3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := renderHeader(t, specRunStop).Write(dir); err != nil {
			t.Fatalf("a helper in helpers.go: %v", err)
		}
	})
}

// onDisk is fs with each file's contents as dir holds them.
func onDisk(t *testing.T, fs output.Files, dir string) output.Files {
	t.Helper()
	var out output.Files
	for _, f := range fs {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		f.Data = data
		out = append(out, f)
	}
	return out
}

func fileData(fs output.Files, p string) []byte {
	for _, f := range fs {
		if f.Path == p {
			return f.Data
		}
	}
	return nil
}

// userMapFile is what a user adds to callbacks.go: a map of their own,
// which run counts its calls in, after the generated count.
const userMapFile = `
// Hits is a map of mine: no generated file names it.
var Hits = sasm.NewMap[uint32, uint64]("hits", ebpf.Array, 1)

// hit adds 1 to Hits[0], keeping the ctx in r1.
func hit() asm.Instructions {
	return sasm.Seq(
		asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)},
		Hits.Count(0, -16),
		asm.Instructions{asm.Mov.Reg(asm.R1, asm.R6)},
	)
}
`

// userMapMain prints the maps bpf.Spec gives the programs of the package.
const userMapMain = `package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/structops/structops-gen/bpf"
	ops %q
)

func main() {
	progs, err := ops.Programs()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	spec, err := bpf.Spec(ops.Ops, progs, nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	var names []string
	for n, m := range spec.Maps {
		names = append(names, fmt.Sprintf("%%s:%%s", n, m.Type))
	}
	sort.Strings(names)
	fmt.Println(names)
}
`

// TestUserMapsNeedNoGeneratedCode: a map the user declares in callbacks.go
// and uses in a callback is found from the programs' instructions: the
// generated files do not change when the user adds one (regenerating
// writes the same ops.go, and a check finds no drift), and the package's
// programs give bpf.Spec both the generated call counts and the user's
// map.
func TestUserMapsNeedNoGeneratedCode(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool to build the package with")
	}
	// inside the module, so the package builds; testdata: ./... skips it
	dir, err := os.MkdirTemp("testdata", "usermaps-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	goImport := "github.com/structops/structops-gen/gen/" + filepath.ToSlash(dir)
	o, err := header.Parse("spec.h", []byte(specRunStop), "")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Render(o, Options{GoImport: goImport})
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Write(dir); err != nil {
		t.Fatal(err)
	}
	cb := filepath.Join(dir, "jobops", "callbacks.go")
	data, err := os.ReadFile(cb)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "import (\n", "import (\n\t\"github.com/cilium/ebpf\"\n", 1)
	src = strings.Replace(src, "\t\tCalls.Count(\"run\"),\n", "\t\tCalls.Count(\"run\"),\n\t\thit(),\n", 1)
	if !strings.Contains(src, "hit(),") {
		t.Fatalf("run's body does not start with Calls.Count(\"run\"):\n%s", data)
	}
	if err := os.WriteFile(cb, []byte(src+userMapFile), 0o644); err != nil {
		t.Fatal(err)
	}

	// regenerate: the same files, the user's kept
	ops := filepath.Join(dir, "jobops", "ops.go")
	before, err := os.ReadFile(ops)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Write(dir); err != nil {
		t.Fatal(err)
	}
	if after, err := os.ReadFile(ops); err != nil || !bytes.Equal(after, before) {
		t.Errorf("regenerating with a user map changed ops.go (%v)", err)
	}
	if drift, err := fs.Check(dir); err != nil || len(drift) != 0 {
		t.Errorf("check after adding a user map: %v, %v; want no drift", drift, err)
	}

	main := filepath.Join(dir, "usermaps", "main.go")
	if err := os.MkdirAll(filepath.Dir(main), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(main, fmt.Appendf(nil, userMapMain, goImport+"/jobops"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./"+filepath.ToSlash(filepath.Join(dir, "usermaps")))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	const want = "[.rodata:Array calls:PerCPUArray hits:Array job_ops:StructOpsMap]" // .rodata: the printk formats
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("bpf.Spec of the package's programs has maps %s, want %s", got, want)
	}
}
