package model

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateMacros = flag.Bool("update-macros", false, "rewrite gen/model/kernel_macros.txt from the kernel headers in the VM kernel cache (needs gcc)")

const kernelMacrosFile = "kernel_macros.txt"

// kernelMacrosHeader opens kernel_macros.txt.
const kernelMacrosHeader = `# The macros the generated module's #includes (templates/module.c.tmpl) define,
# collected with gcc -E -dM from the Debian kernel headers of every kernel
# series the VM tests build against (x86-64). Validate refuses a member or
# parameter of a new subsystem named after one: the module's C would expand
# it. "name(" is a function-like macro (it breaks only ops->name(...), so only
# member names), a bare name an object-like one (it breaks every use).
# Only names with a lower-case letter are listed: all-capital names, names
# starting with __ or _X and CONFIG_ names are refused by rule.
# Regenerate: go test ./gen/model -run TestKernelMacros -update-macros
`

// kernelHeaderTrees finds the kernel header trees the VM tooling unpacked
// into its cache: pairs of linux-headers-<v>-common and -amd64 directories.
var macroSeries = regexp.MustCompile(`^linux-headers-(6\.12\.[0-9]+\+deb12|7\.3\.[0-9]+\+deb13)-common$`)

func kernelHeaderTrees() [][2]string {
	var caches []string
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		caches = append(caches, filepath.Join(d, "structops-gen"))
	}
	if d, err := os.UserCacheDir(); err == nil {
		caches = append(caches, filepath.Join(d, "structops-gen"))
	}
	seen := map[string]bool{}
	var out [][2]string
	for _, c := range caches {
		commons, _ := filepath.Glob(filepath.Join(c, "kernels", "*", "root", "usr", "src", "linux-headers-*-common"))
		for _, common := range commons {
			// only the series the list is made from (the test kernels
			// make test fetches): another cached kernel would add macros
			if !macroSeries.MatchString(filepath.Base(common)) {
				continue
			}
			arch := strings.TrimSuffix(common, "-common") + "-amd64"
			if _, err := os.Stat(filepath.Join(arch, "include", "generated", "autoconf.h")); err != nil || seen[common] {
				continue
			}
			seen[common] = true
			out = append(out, [2]string{common, arch})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// moduleIncludes are the system headers the module template includes.
func moduleIncludes(t *testing.T) []string {
	src, err := os.ReadFile(filepath.Join("..", "..", "templates", "module.c.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^#include <([^>]+)>`).FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatal("templates/module.c.tmpl includes no system header")
	}
	return out
}

var defineLine = regexp.MustCompile(`^#define ([A-Za-z_][A-Za-z0-9_]*)(\(?)`)

// collectMacros runs gcc -E -dM over the module's includes in one header
// tree, as kbuild would for an x86-64 module, and adds each macro to
// macros (true: function-like in every tree so far).
func collectMacros(t *testing.T, tree [2]string, includes []string, macros map[string]bool) {
	common, arch := tree[0], tree[1]
	var src strings.Builder
	for _, inc := range includes {
		fmt.Fprintf(&src, "#include <%s>\n", inc)
	}
	args := []string{"-E", "-dM", "-x", "c", "-std=gnu11", "-fno-PIE", "-mcmodel=kernel", "-nostdinc",
		"-D__KERNEL__", "-DMODULE", "-DCC_USING_FENTRY", `-DKBUILD_MODNAME="m"`, `-DKBUILD_BASENAME="m"`}
	for _, d := range []string{
		common + "/arch/x86/include", arch + "/arch/x86/include/generated", common + "/include", arch + "/include",
		common + "/arch/x86/include/uapi", arch + "/arch/x86/include/generated/uapi", common + "/include/uapi",
		arch + "/include/generated/uapi",
	} {
		args = append(args, "-I"+d)
	}
	for _, h := range []string{"linux/compiler-version.h", "linux/kconfig.h", "linux/compiler_types.h"} {
		args = append(args, "-include", common+"/include/"+h)
	}
	cmd := exec.Command("gcc", append(args, "-")...)
	cmd.Stdin = strings.NewReader(src.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gcc -E -dM in %s: %v\n%s", common, err, stderr.String())
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		m := defineLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n++
		name, fn := m[1], m[2] == "("
		if prev, ok := macros[name]; ok {
			fn = fn && prev
		}
		macros[name] = fn
	}
	if n < 1000 {
		t.Fatalf("gcc -E -dM in %s: only %d macros", common, n)
	}
}

// kernelMacrosList renders the file from the collected macros, keeping the
// names the rules in moduleNameProblem do not already refuse.
func kernelMacrosList(macros map[string]bool) string {
	var names []string
	for name := range macros {
		if moduleNameRule(name) || strings.ToUpper(name) == name {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(kernelMacrosHeader)
	for _, n := range names {
		b.WriteString(n)
		if macros[n] {
			b.WriteByte('(')
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestKernelMacros keeps kernel_macros.txt equal to what the kernel headers
// in the VM cache define (skipped without them or gcc), and checks the list
// is what Validate reads: sorted, with the macros the module would trip on.
func TestKernelMacros(t *testing.T) {
	trees := kernelHeaderTrees()
	if _, err := exec.LookPath("gcc"); err == nil && len(trees) > 0 {
		macros := map[string]bool{}
		for _, tree := range trees {
			collectMacros(t, tree, moduleIncludes(t), macros)
		}
		want := kernelMacrosList(macros)
		if *updateMacros {
			if err := os.WriteFile(kernelMacrosFile, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			kernelMacrosText = want
		}
		// The list comes from every series' headers (6.12 and 7.3); the
		// cache may hold only some of them, so each macro the cached ones
		// define must be listed, not the other way round.
		listed := kernelMacros()
		var missing []string
		for _, line := range strings.Split(want, "\n") {
			if line != "" && line[0] != '#' {
				if _, ok := listed[strings.TrimSuffix(line, "(")]; !ok {
					missing = append(missing, strings.TrimSuffix(line, "("))
				}
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s lacks %d macros the headers in %v define, e.g. %v (go test ./gen/model -run TestKernelMacros -update-macros, with every series' headers cached)",
				kernelMacrosFile, len(missing), trees, missing[:min(len(missing), 5)])
		}
	} else {
		if *updateMacros {
			t.Fatal("-update-macros needs gcc and kernel headers in the VM cache (go run ./vm fetches them)")
		}
		t.Logf("kernel headers or gcc not found: the list is not compared with the headers")
	}
	var names []string
	for _, line := range strings.Split(kernelMacrosText, "\n") {
		if line != "" && line[0] != '#' {
			names = append(names, strings.TrimSuffix(line, "("))
		}
	}
	if !sort.StringsAreSorted(names) || len(names) < 1000 {
		t.Fatalf("%s: %d names, sorted %v", kernelMacrosFile, len(names), sort.StringsAreSorted(names))
	}
	// the macros a module author trips on, and the kinds of each
	for name, fn := range map[string]bool{"current": false, "linux": false, "fallthrough": false,
		"min": true, "max": true, "likely": true, "unlikely": true, "swap": true, "clamp": true,
		"container_of": true, "offsetof": true, "printk": true, "pr_info": true, "barrier": true} {
		if got, ok := kernelMacros()[name]; !ok || got != fn {
			t.Errorf("%s: listed %v, function-like %v; want listed, function-like %v", name, ok, got, fn)
		}
	}
	// callback names in common use are no macros
	for _, name := range []string{"init", "exit", "read", "write", "open", "release", "run", "test_1", "get", "put"} {
		if _, ok := kernelMacros()[name]; ok {
			t.Errorf("%s is listed as a kernel macro", name)
		}
	}
}
