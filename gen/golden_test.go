package gen

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/output"
	"github.com/structops/structops-gen/gen/read/builtin"
	"github.com/structops/structops-gen/gen/read/header"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const modulePath = "github.com/structops/structops-gen"

// goldenCase is one spec with its expected files under
// testdata/golden/<name>/want.
type goldenCase struct {
	name      string
	header    string // "" for the built-in spec
	instances int    // --instances, from testdata/golden/<name>/options
	// btf, ops, set: a kernel type read from BTF (--btf, --ops, --set),
	// from the options file
	btf, ops string
	set      []string
	// include: -I directories for the header's quoted includes
	include []string
}

func goldenCases(t *testing.T) []goldenCase {
	cases := []goldenCase{{name: "default"}}
	hs, err := filepath.Glob("testdata/headers/*.h")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		cases = append(cases, goldenCase{name: strings.TrimSuffix(filepath.Base(h), ".h"), header: h})
	}
	if len(cases) < 4 {
		t.Fatalf("want the default and at least three header specs, have %d cases", len(cases))
	}
	// testdata/golden/<name>/options: the built-in spec with options, a
	// type read from BTF, or a header outside testdata/headers/*.h (the
	// real-like ones, with --ops and -I)
	opts, err := filepath.Glob("testdata/golden/*/options")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range opts {
		c := goldenCase{name: filepath.Base(filepath.Dir(p))}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, ln := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(ln), "=")
			switch k {
			case "instances":
				if c.instances, err = strconv.Atoi(v); err != nil {
					t.Fatalf("%s: %q: %v", p, ln, err)
				}
			case "btf":
				c.btf = v
			case "ops":
				c.ops = v
			case "set":
				c.set = append(c.set, v)
			case "header":
				c.header = v
			case "include":
				c.include = append(c.include, v)
			default:
				t.Fatalf("%s: %q: want instances=N, btf=PATH, header=PATH, include=DIR, ops=NAME or set=MEMBER=VALUE", p, ln)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

func (c goldenCase) spec() Spec {
	return Spec{Header: c.header, IncludeDirs: c.include, Instances: c.instances, BTF: c.btf, Ops: c.ops, Set: c.set}
}

func (c goldenCase) render(t *testing.T) output.Files {
	t.Helper()
	o, err := Load(c.spec())
	if err != nil {
		t.Fatalf("load %s: %v", c.name, err)
	}
	fs, err := Render(o, Options{GoImport: c.goImport()})
	if err != nil {
		t.Fatalf("render %s: %v", c.name, err)
	}
	return fs
}

// want is the directory of the case's expected files. The built-in spec's
// are the checked-in default stack itself, module/ and bpftestmodops/ at
// the repository's top: the one copy, which -update refreshes.
func (c goldenCase) want() string {
	if c.name == "default" {
		return ".."
	}
	return filepath.Join("testdata", "golden", c.name, "want")
}

func (c goldenCase) goImport() string {
	if c.name == "default" {
		return modulePath
	}
	return modulePath + "/gen/testdata/golden/" + c.name + "/want"
}

// TestGolden renders every golden spec and compares each file, byte for
// byte, with testdata/golden/<case>/want; -update rewrites them.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			fs := c.render(t)
			if *update {
				// the default stack shares its directory with the rest of
				// the repository: remove only what the set writes (Write
				// keeps user-owned files that exist)
				var stale []string
				for _, f := range fs {
					stale = append(stale, f.Path)
				}
				if c.name != "default" {
					stale = []string{"."}
				}
				for _, p := range stale {
					if err := os.RemoveAll(filepath.Join(c.want(), p)); err != nil {
						t.Fatal(err)
					}
				}
				if err := fs.Write(c.want()); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range fs {
				got, err := os.ReadFile(filepath.Join(c.want(), f.Path))
				if err != nil {
					t.Errorf("%s: %v (run go test ./gen -update)", f.Path, err)
					continue
				}
				if !bytes.Equal(got, f.Data) {
					t.Errorf("%s differs from the golden file (run go test ./gen -update and review the diff)", f.Path)
				}
			}
			drift, err := fs.Check(c.want())
			if err != nil {
				t.Fatal(err)
			}
			if len(drift) > 0 {
				t.Errorf("golden dir has drifted: %v", drift)
			}
		})
	}
}

// TestReproducible renders every spec twice: the bytes must be identical.
func TestReproducible(t *testing.T) {
	for _, c := range goldenCases(t) {
		a, b := c.render(t), c.render(t)
		if len(a) != len(b) {
			t.Fatalf("%s: %d files, then %d", c.name, len(a), len(b))
		}
		for i := range a {
			if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s: %s differs between two runs", c.name, a[i].Path)
			}
		}
		if !sort.SliceIsSorted(a, func(i, j int) bool { return a[i].Path < a[j].Path }) {
			t.Errorf("%s: files not sorted", c.name)
		}
	}
}

// TestGoldenGoCompiles builds and vets the generated Go of every golden
// case: the ops package and the loader command.
func TestGoldenGoCompiles(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	var pkgs []string
	for _, c := range goldenCases(t) {
		for _, f := range c.render(t) {
			if strings.HasSuffix(f.Path, ".go") {
				pkgs = append(pkgs, "./"+filepath.ToSlash(filepath.Join(c.want(), path.Dir(f.Path))))
			}
		}
	}
	sort.Strings(pkgs)
	pkgs = compactStrings(pkgs)
	if len(pkgs) < 8 {
		t.Fatalf("found only %d generated packages: %v", len(pkgs), pkgs)
	}
	cmd := exec.Command("go", append([]string{"vet"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet %v: %v\n%s", pkgs, err, out)
	}
}

func compactStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// TestDefaultCallbacks: the checked-in callbacks.go files of the examples
// that are the generator's default bodies, unedited, are byte for byte what
// a fresh generation writes. --check only requires a user-owned file to
// exist (and fit), so without this test these could rot. (The default
// stack's, bpftestmodops/callbacks.go, is TestGolden's.) examples/tcpreno's
// callbacks.go is hand-written on purpose and not compared.
func TestDefaultCallbacks(t *testing.T) {
	for _, c := range []struct {
		name, dir, goImport string
		spec                *Spec // nil: the built-in spec
	}{
		// examples/dummyops/doc.go: "structops-gen's default bodies, unedited"
		{"examples/dummyops", "../examples/dummyops", modulePath + "/examples/dummyops",
			&Spec{BTF: "/sys/kernel/btf/vmlinux", Ops: "bpf_dummy_ops", Members: []string{"test_1", "test_2"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := builtin.Ops()
			if c.spec != nil {
				if _, err := os.Stat(c.spec.BTF); err != nil {
					t.Skipf("%s: %v (the example is generated from the running kernel's BTF)", c.spec.BTF, err)
				}
				var err error
				if o, err = Load(*c.spec); err != nil {
					t.Fatal(err)
				}
			}
			fs, err := Render(o, Options{GoImport: c.goImport})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range fs {
				if !f.UserOwned {
					continue
				}
				n++
				got, err := os.ReadFile(filepath.Join(c.dir, f.Path))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, f.Data) {
					t.Errorf("%s differs from the default bodies the generator writes (delete it and regenerate, or, if it is meant to be edited, drop it from this test)",
						filepath.Join(c.dir, f.Path))
				}
			}
			if n == 0 {
				t.Fatal("no user-owned file rendered")
			}
		})
	}
}

// TestSpecsAgree: the built-in model and the same struct parsed from
// DefaultHeader describe the same ABI, and the module header generated for
// every golden spec parses back to the model it came from. (That the BTF
// of the built module agrees too is checked where modules are built:
// TestGeneratedStacksInVM in e2e/e2e_test.go.)
func TestSpecsAgree(t *testing.T) {
	h, err := header.Parse("default.h", []byte(builtin.Header), "")
	if err != nil {
		t.Fatal(err)
	}
	if d := builtin.Ops().Equal(h); d != "" {
		t.Errorf("built-in spec and its header disagree: %s", d)
	}
	// the header the generator writes for the module parses back to the same model
	for _, c := range goldenCases(t) {
		fs := c.render(t)
		o, err := Load(c.spec())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Path == "module/"+o.ModuleName()+".h" {
				back, err := header.Parse(f.Path, f.Data, o.Name)
				if err != nil {
					t.Fatalf("%s: generated header does not parse: %v", c.name, err)
				}
				if d := o.Equal(back); d != "" {
					t.Errorf("%s: generated header describes another ABI: %s", c.name, d)
				}
			}
		}
	}
}
