package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/gen/model"
)

// The success paths of the CLI; the failures are the catalogue in
// errors_test.go.

const btfDir = "../../gen/testdata/btf"

// runOK runs structops-gen and fails unless it exits 0 with nothing on
// stderr.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(&stdout, &stderr, args); code != 0 || stderr.Len() > 0 {
		t.Fatalf("structops-gen %s: exit %d\nstderr: %s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// wantList is what list should print for a BTF blob, line by line, read
// from the blob with cilium/ebpf directly: every struct_ops type (a struct
// X with a bpf_struct_ops_X value type) with its size and members' C
// signatures, or, for a type with a variadic callback, a line saying it is
// not usable (a line ending in … is a prefix).
func wantList(t *testing.T, blob, base string) []string {
	t.Helper()
	var spec *btf.Spec
	var err error
	if base != "" {
		b, berr := btf.LoadSpec(base)
		if berr != nil {
			t.Fatal(berr)
		}
		f, ferr := os.Open(blob)
		if ferr != nil {
			t.Fatal(ferr)
		}
		defer f.Close()
		spec, err = btf.LoadSplitSpecFromReader(f, b)
	} else if strings.HasSuffix(blob, ".o") {
		// the .BTF section of an ELF object
		f, ferr := elf.Open(blob)
		if ferr != nil {
			t.Fatal(ferr)
		}
		defer f.Close()
		sec := f.Section(".BTF")
		if sec == nil {
			t.Fatalf("%s has no .BTF", blob)
		}
		spec, err = btf.LoadSpecFromReader(sec)
	} else {
		spec, err = btf.LoadSpec(blob)
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for typ, err := range spec.All() {
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := typ.(*btf.Struct); ok && strings.HasPrefix(s.Name, "bpf_struct_ops_") {
			names = append(names, strings.TrimPrefix(s.Name, "bpf_struct_ops_"))
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatalf("%s registers no struct_ops type", blob)
	}
	var out []string
	for _, n := range names {
		var st *btf.Struct
		if err := spec.TypeByName(n, &st); err != nil {
			t.Fatal(err)
		}
		lines := []string{fmt.Sprintf("struct %s {\t/* %d bytes */\n", n, st.Size)}
	members:
		for _, m := range st.Members {
			fp := m.Type.(*btf.Pointer).Target.(*btf.FuncProto)
			var ps []string
			for _, p := range fp.Params {
				if _, ok := p.Type.(*btf.Void); ok { // a trailing void: ...
					lines = []string{fmt.Sprintf("struct %s;\t/* not usable: member %s: variadic callback…", n, m.Name)}
					break members
				}
			}
			for _, p := range fp.Params {
				ps = append(ps, p.Type.(*btf.Int).Name+" "+p.Name)
			}
			lines = append(lines, fmt.Sprintf("\t%s (*%s)(%s);\n", fp.Return.(*btf.Int).Name, m.Name, strings.Join(ps, ", ")))
		}
		if !strings.HasSuffix(lines[0], "…") {
			lines = append(lines, "};\n")
		}
		out = append(out, lines...)
	}
	return append(out, "") // SplitAfter's last, empty element
}

// TestList: list prints every struct_ops type a BTF blob registers with
// its members' signatures, for raw BTF, an ELF object and split BTF.
func TestList(t *testing.T) {
	for _, c := range []struct{ blob, base string }{
		{"ops.btf", ""}, // foo_ops, a variadic vararg_ops, a 13-argument wide_ops
		{"ops.o", ""},   // the same BTF as the .BTF section of an ELF object
		{"mod_ops.btf", "base.btf"},
	} {
		t.Run(c.blob, func(t *testing.T) {
			args := []string{"list", "--btf", filepath.Join(btfDir, c.blob)}
			blob := filepath.Join(btfDir, c.blob)
			base := ""
			if c.base != "" {
				base = filepath.Join(btfDir, c.base)
				args = append(args, "--btf-base", base)
			}
			got := strings.SplitAfter(runOK(t, args...), "\n")
			want := wantList(t, blob, base)
			ok := len(got) == len(want)
			for i := 0; ok && i < len(want); i++ {
				ok = got[i] == want[i] || strings.HasSuffix(want[i], "…") && strings.HasPrefix(got[i], strings.TrimSuffix(want[i], "…"))
			}
			if !ok {
				t.Errorf("structops-gen %s:\n%s\nwant (from the blob):\n%s", strings.Join(args, " "), strings.Join(got, ""), strings.Join(want, ""))
			}
		})
	}
}

// TestHelp: --help exits 0 and prints the usage with examples on stdout,
// for both commands.
func TestHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"usage:", "Examples:", "structops-gen -o out", "structops-gen list --btf", "--check", "--spec", "--btf-base"}},
		{[]string{"-h"}, []string{"usage:", "Examples:"}},
		{[]string{"list", "--help"}, []string{"usage:", "structops-gen list [--btf FILE]", "Examples:", "--btf-base"}},
	} {
		help := runOK(t, c.args...)
		for _, w := range c.want {
			if !strings.Contains(help, w) {
				t.Errorf("%v: help lacks %q:\n%s", c.args, w, help)
			}
		}
	}
}

var wroteLine = regexp.MustCompile(`^struct (\w+) \((.*)\): wrote (\d+) files to (.*)\n$`)

// TestGenerateAndCheck: a normal run exits 0 and says what it wrote (the
// files are there, as many as it says); --check of that output exits 0,
// says it is up to date and changes nothing; a second run is a no-op.
func TestGenerateAndCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		ops  string
	}{
		{"built-in", nil, "bpf_testmod_ops"},
		{"header", []string{"--spec", "../../gen/testdata/headers/widths.h"}, "widths_ops"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"-o", out, "--go-import", "example.com/out"}, c.args...)
			m := wroteLine.FindStringSubmatch(runOK(t, args...))
			if m == nil || m[1] != c.ops || m[4] != out {
				t.Fatalf("stdout %q, want \"struct %s (...): wrote N files to %s\"", m, c.ops, out)
			}
			n, _ := strconv.Atoi(m[3])
			files := snapshot(t, out)
			regular := 0
			for _, v := range files {
				if !strings.HasPrefix(v, "dir ") {
					regular++
				}
			}
			if regular != n || n < 4 {
				t.Errorf("stdout says %d files, %s holds %d", n, out, regular)
			}
			for _, p := range []string{"module/Makefile", model.GoPackage(c.ops) + "/ops.go", model.GoPackage(c.ops) + "/callbacks.go", model.GoPackage(c.ops) + "/loader/main.go"} {
				if _, ok := files[filepath.FromSlash(p)]; !ok {
					t.Errorf("%s not written", p)
				}
			}
			checked := runOK(t, append(args, "--check")...)
			if want := fmt.Sprintf("%s: %d files up to date\n", out, n); checked != want {
				t.Errorf("--check: %q, want %q", checked, want)
			}
			if after := snapshot(t, out); !equalSnapshots(files, after) {
				t.Errorf("--check changed the output:\n%s", diffSnapshots(files, after))
			}
			runOK(t, args...)
			if after := snapshot(t, out); !equalSnapshots(files, after) {
				t.Errorf("a second run changed the output:\n%s", diffSnapshots(files, after))
			}
		})
	}
}

// init sets up a project and prints what it requires and the next
// commands; its help goes to stdout.
func TestInitCommand(t *testing.T) {
	help := runOK(t, "init", "--help")
	if !strings.Contains(help, "structops-gen init [--spec FILE.h") || !strings.Contains(help, "--module") {
		t.Errorf("init --help lacks its usage or flags:\n%s", help)
	}
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	dir := filepath.Join(t.TempDir(), "proj")
	out := runOK(t, "init", "--spec", "../../gen/testdata/headers/widths.h", "--module", "example.com/proj", dir)
	for _, want := range []string{"Go module example.com/proj in " + dir, "replaced by ", "next:\n  cd " + dir + "\n  go build ./...\n  structops-vm run --module ./module --go ./widthsops/loader -- --call "} {
		if !strings.Contains(out, want) {
			t.Errorf("init prints no %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "widths.h")); err != nil {
		t.Error(err)
	}
}
