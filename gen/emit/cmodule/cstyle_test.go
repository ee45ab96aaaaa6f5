package cmodule

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goldenModuleFiles returns the C files of every golden module and of the
// checked-in default stack.
func goldenModuleFiles(t *testing.T, pattern string) []string {
	t.Helper()
	golden, err := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "*", "want", "module", pattern))
	if err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Glob(filepath.Join("..", "..", "..", "module", pattern))
	if err != nil {
		t.Fatal(err)
	}
	files := append(golden, repo...)
	if len(golden) < 5 || len(repo) == 0 {
		t.Fatalf("%s: found %d golden and %d checked-in files, want every golden module", pattern, len(golden), len(repo))
	}
	return files
}

// TestModuleCStyle: the generated C follows the kernel's coding style in
// what a line shows: at most 100 columns with tabs 8 wide, indented with
// tabs, no trailing white space.
func TestModuleCStyle(t *testing.T) {
	for _, pattern := range []string{"*.c", "*.h"} {
		for _, name := range goldenModuleFiles(t, pattern) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(src), "\n") {
				if w := width(0, line); w > maxCols {
					t.Errorf("%s:%d: %d columns, want at most %d: %s", name, i+1, w, maxCols, line)
				}
				if strings.TrimRight(line, " \t") != line {
					t.Errorf("%s:%d: trailing white space", name, i+1)
				}
				if strings.HasPrefix(line, "        ") {
					t.Errorf("%s:%d: indented with spaces, want tabs", name, i+1)
				}
			}
		}
	}
}

// TestWrap: a part that would cross column 100 starts a line aligned with
// the opening parenthesis; shorter lists stay on one line.
func TestWrap(t *testing.T) {
	parts := []string{"const char *name", "struct sock *sk", "u32 len", "struct task_struct *task", "const char *comm"}
	got := wrap(0, "static int manyargs_ops__mixed(", parts, ")")
	want := "static int manyargs_ops__mixed(const char *name, struct sock *sk, u32 len, struct task_struct *task,\n" +
		"\t\t\t       const char *comm)"
	if got != want {
		t.Errorf("wrap:\n%s\nwant:\n%s", got, want)
	}
	if got := wrap(8, "f(", []string{"a", "b"}, ");"); got != "f(a, b);" {
		t.Errorf("short list: %q", got)
	}
	if got := wrap(8, "f(", nil, ");"); got != "f();" {
		t.Errorf("no parts: %q", got)
	}
	words := strings.Repeat("member.param, ", 20)
	lines := fill(words)
	if len(lines) < 3 || strings.Join(lines, " ") != strings.TrimSpace(words) {
		t.Errorf("fill: %q", lines)
	}
	for _, l := range lines {
		if len(" * "+l) > maxCols {
			t.Errorf("fill: %d columns: %q", len(" * "+l), l)
		}
	}
}

var opsStruct = regexp.MustCompile(`(?m)^struct (\w+) \{$`)

// TestHeaderWithVmlinux compiles every golden module header as BPF C does:
// clang -target bpf, after a vmlinux.h. The header must then include
// nothing (the kernel's <linux/types.h> is not on a BPF include path) and
// redefine nothing. vmlinux.h is dumped from the running kernel's BTF with
// bpftool; without bpftool a stand-in declares the types the golden specs
// use. Skipped without clang, which the project does not otherwise need.
func TestHeaderWithVmlinux(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed: the header's BPF build is checked where it is")
	}
	dir := t.TempDir()
	vmlinux := []byte(vmlinuxStandIn)
	if _, err := exec.LookPath("bpftool"); err == nil {
		if out, err := exec.Command("bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c").Output(); err == nil {
			vmlinux = out
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "vmlinux.h"), vmlinux, 0o644); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, hdr := range goldenModuleFiles(t, "*.h") {
		src, err := os.ReadFile(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(src)] {
			continue // the default stack's header, again
		}
		seen[string(src)] = true
		m := opsStruct.FindSubmatch(src)
		if m == nil {
			t.Fatalf("%s declares no ops struct", hdr)
		}
		abs, err := filepath.Abs(hdr)
		if err != nil {
			t.Fatal(err)
		}
		prog := filepath.Join(dir, "prog.c")
		c := "#include \"vmlinux.h\"\n#include \"" + abs + "\"\n\nstruct " + string(m[1]) + " ops;\n"
		if err := os.WriteFile(prog, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("clang", "-target", "bpf", "-O2", "-Wall", "-Werror", "-fsyntax-only", "-I", dir, prog)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%s after vmlinux.h: clang -target bpf: %v\n%s", hdr, err, stderr.String())
		}
	}
}

// vmlinuxStandIn declares what a vmlinux.h from BTF declares for the types
// the golden specs use.
const vmlinuxStandIn = `#ifndef __VMLINUX_H__
#define __VMLINUX_H__
typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __s8 int8_t;
typedef __s16 int16_t;
typedef __s32 int32_t;
typedef __s64 int64_t;
typedef __u8 uint8_t;
typedef __u16 uint16_t;
typedef __u32 uint32_t;
typedef __u64 uint64_t;
typedef _Bool bool;
struct sock {
	int sk_state;
};
#endif /* __VMLINUX_H__ */
`
