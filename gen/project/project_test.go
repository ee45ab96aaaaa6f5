package project

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen"
)

const myH = `struct my_ops {
	int (*add)(int a, int b);
	long (*scale)(long x);
};
`

// The test binary is built from this checkout: FindSelf names it.
func TestFindSelfCheckout(t *testing.T) {
	self, err := FindSelf()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if self.Checkout != root || self.Version != checkoutVersion {
		t.Errorf("FindSelf = %+v, want the checkout %s", self, root)
	}
	if !strings.Contains(self.String(), root) {
		t.Errorf("String() = %q does not name the checkout", self)
	}
}

func TestPublished(t *testing.T) {
	for v, want := range map[string]bool{
		"v1.2.3": true, "v0.0.0-20261202182834-fd66675abcde": true,
		"(devel)": false, "": false, "v0.0.0-20261202182834-fd66675abcde+dirty": false,
	} {
		if got := published(v); got != want {
			t.Errorf("published(%q) = %v, want %v", v, got, want)
		}
	}
}

// Init makes a module that builds at once, outside any other module, and
// whose Makefile's generate target reproduces the generated files.
func TestInitBuilds(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	if testing.Short() {
		t.Skip("runs go mod tidy and go build")
	}
	tmp := t.TempDir()
	spec := filepath.Join(tmp, "my.h")
	if err := os.WriteFile(spec, []byte(myH), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := FindSelf()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "proj")
	res, err := Init(Options{Spec: gen.Spec{Header: spec, Ops: "my_ops"}, Dir: dir, Self: self})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "go.sum", "my.h", "Makefile", "README.md", "module/my.c", "myops/ops.go", "myops/callbacks.go", "myops/loader/main.go"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(gomod), "replace "+SelfModule+" => "+self.Checkout) {
		t.Errorf("go.mod does not replace %s with the checkout:\n%s", SelfModule, gomod)
	}
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./... in the new project: %v\n%s", err, out)
	}
	want := "structops-vm run --module ./module --go ./myops/loader -- --call \"add 1 2\""
	if got := res.Next[len(res.Next)-1]; got != want {
		t.Errorf("last next command %q, want %q", got, want)
	}
	mk, _ := os.ReadFile(filepath.Join(dir, "Makefile"))
	if !strings.Contains(string(mk), "--ops my_ops --spec my.h -o .") {
		t.Errorf("Makefile does not regenerate from the copied spec:\n%s", mk)
	}
	// What make generate runs, in the project, finds nothing to change.
	t.Chdir(dir)
	ops, err := gen.Load(gen.Spec{Header: "my.h", Ops: "my_ops"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.Render(ops, gen.Options{GoImport: "proj"})
	if err != nil {
		t.Fatal(err)
	}
	drift, err := files.Check(".")
	if err != nil || len(drift) > 0 {
		t.Errorf("generated files drift: %v %v", drift, err)
	}
}

// A spec error or a non-empty directory leaves nothing behind.
func TestInitRefuses(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.h")
	if err := os.WriteFile(bad, []byte("struct my_ops { int x; "), 0o644); err != nil {
		t.Fatal(err)
	}
	self := Self{Version: "v1.0.0"}
	if _, err := Init(Options{Spec: gen.Spec{Header: bad}, Dir: filepath.Join(tmp, "p"), Self: self}); err == nil {
		t.Fatal("bad header accepted")
	}
	full := filepath.Join(tmp, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Init(Options{Spec: gen.Spec{Header: bad}, Dir: full, Self: self})
	if !errors.Is(err, ErrNotEmpty) {
		t.Errorf("non-empty dir: %v, want ErrNotEmpty", err)
	}
	ents, _ := os.ReadDir(tmp)
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("left behind: %v, want bad.h and full only", names)
	}
}
