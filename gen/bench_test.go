package gen

// Generation benchmarks (BENCHMARKS.md has the table; regenerate with
// go test -run '^$' -bench . -benchmem ./gen).

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/read/header"
)

// BenchmarkDefaultStack is the whole default stack in memory: the built-in
// spec to every file of the module, the Go package and the loader.
func BenchmarkDefaultStack(b *testing.B) {
	for b.Loop() {
		o, err := Load(Spec{})
		if err != nil {
			b.Fatal(err)
		}
		fs, err := Render(o, Options{GoImport: modulePath + "/out"})
		if err != nil {
			b.Fatal(err)
		}
		if len(fs) == 0 {
			b.Fatal("no files")
		}
	}
}

// membersHeader is a spec header with n callbacks whose argument counts
// cycle through 0..6 and types through the integer widths and pointers.
func membersHeader(n int) []byte {
	types := []string{"int", "u32", "s64", "u16", "const char *", "struct sock *", "u8"}
	var sb strings.Builder
	sb.WriteString("struct sock;\n\nstruct wide_ops {\n")
	for i := range n {
		var args []string
		for a := range i % 7 {
			args = append(args, fmt.Sprintf("%sa%d", spaced(types[(i+a)%len(types)]), a))
		}
		if len(args) == 0 {
			args = []string{"void"}
		}
		fmt.Fprintf(&sb, "\tint (*cb_%d)(%s);\n", i, strings.Join(args, ", "))
	}
	sb.WriteString("};\n")
	return []byte(sb.String())
}

func spaced(t string) string {
	if strings.HasSuffix(t, "*") {
		return t
	}
	return t + " "
}

// BenchmarkMembers is a header spec with 8, 16, 32 and 64 callbacks, from
// the header's bytes to every file in memory (header.Parse, then Render, which validates).
func BenchmarkMembers(b *testing.B) {
	for _, n := range []int{8, 16, 32, 64} {
		src := membersHeader(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				o, err := header.Parse("wide.h", src, "")
				if err != nil {
					b.Fatal(err)
				}
				if len(o.Members) != n {
					b.Fatalf("%d members, want %d", len(o.Members), n)
				}
				if _, err := Render(o, Options{GoImport: modulePath + "/out"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkList is `structops-gen list` over the running kernel's whole
// vmlinux BTF, in process (cmd/structops-gen's BenchmarkProcess measures
// the command with its peak RSS).
func BenchmarkList(b *testing.B) {
	st, err := os.Stat(DefaultBTFBase)
	if err != nil {
		b.Skipf("no kernel BTF at %s: %v", DefaultBTFBase, err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := List(DefaultBTFBase, ""); err != nil {
			b.Fatal(err)
		}
	}
}
