package readme

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const ownDoc = "docs/own-subsystem.md"

// The commands of docs/own-subsystem.md, in order.
const (
	ownInstall = "go install ./cmd/..."
	ownInit    = "structops-gen init --spec my.h --ops my_ops proj"
	ownCd      = "cd proj"
	ownBuild   = "go build ./..."
	ownRun     = `structops-vm run --module ./module --go ./myops/loader -- --call "add 1 2"`
	ownBreak   = `sed -i 's/asm.R3, asm.R4)/asm.R3, asm.R7)/' myops/callbacks.go`
)

// blocks returns the fenced blocks of the markdown file whose info string
// is lang, each as its text.
func blocks(t *testing.T, root, file, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur *strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		ln := sc.Text()
		switch {
		case cur == nil && ln == "```"+lang:
			cur = &strings.Builder{}
		case cur != nil && ln == "```":
			out = append(out, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(ln + "\n")
		}
	}
	return out
}

// TestOwnSubsystemInVM runs docs/own-subsystem.md word for word as a new
// user would: binaries from a plain go install (cgo as the environment
// has it) into a fresh GOBIN, an empty directory outside the checkout, the
// spec the page shows, init, go build, and the VM run printing the value
// add returns; then the page's edit breaks add, and the run fails naming
// the callbacks.go line of the refused instruction.
func TestOwnSubsystemInVM(t *testing.T) {
	root := moduleRoot(t)
	var shown []string
	for _, b := range blocks(t, root, ownDoc, "sh") {
		for _, ln := range strings.Split(strings.TrimSpace(b), "\n") {
			shown = append(shown, strings.TrimSpace(comment.ReplaceAllString(ln, "")))
		}
	}
	want := []string{ownInstall, ownInit, ownCd, ownBuild, ownRun, ownBreak, ownRun}
	if !slices.Equal(shown, want) {
		t.Fatalf("%s shows the commands\n%q\nthe test runs\n%q\nupdate the one that is wrong", ownDoc, shown, want)
	}
	specs := blocks(t, root, ownDoc, "c")
	if len(specs) != 1 {
		t.Fatalf("%s shows %d C blocks, want one: my.h", ownDoc, len(specs))
	}
	if os.Getenv("STRUCTOPS_VM") != "1" {
		t.Skip("boots a VM: set STRUCTOPS_VM=1")
	}

	gobin := t.TempDir()
	work := t.TempDir() // outside the checkout
	var env []string
	for _, e := range os.Environ() {
		// a plain go install: cgo as go's default, into a fresh GOBIN
		if !strings.HasPrefix(e, "CGO_ENABLED=") && !strings.HasPrefix(e, "GOBIN=") {
			env = append(env, e)
		}
	}
	env = append(env, "GOBIN="+gobin, "PATH="+gobin+string(os.PathListSeparator)+os.Getenv("PATH"))
	run := func(dir, line string) (string, error) {
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(dir, line string) string {
		t.Helper()
		out, err := run(dir, line)
		if err != nil {
			t.Fatalf("%s (in %s): %v\n%s", line, dir, err, out)
		}
		return out
	}

	must(root, ownInstall)
	if err := os.WriteFile(filepath.Join(work, "my.h"), []byte(specs[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := must(work, ownInit)
	if !strings.Contains(out, "replaced by "+root) || !strings.Contains(out, ownRun) {
		t.Errorf("%s does not say it replaces the module with the checkout %s, or does not print %q:\n%s", ownInit, root, ownRun, out)
	}
	proj := filepath.Join(work, "proj") // cd proj
	must(proj, ownBuild)
	out = must(proj, ownRun)
	if !slices.Contains(lines(out), "3") {
		t.Errorf("%s does not print add's 3:\n%s", ownRun, out)
	}

	must(proj, ownBreak)
	src, err := os.ReadFile(filepath.Join(proj, "myops", "callbacks.go"))
	if err != nil {
		t.Fatal(err)
	}
	line := slices.IndexFunc(lines(string(src)), func(l string) bool { return strings.Contains(l, "asm.R3, asm.R7)") }) + 1
	if line == 0 {
		t.Fatalf("%s changed nothing in callbacks.go:\n%s", ownBreak, src)
	}
	out, err = run(proj, ownRun)
	if err == nil {
		t.Fatalf("%s after %s succeeded:\n%s", ownRun, ownBreak, out)
	}
	at := regexp.MustCompile(fmt.Sprintf(`(^|[\s/])myops/callbacks\.go:%d\b`, line))
	if !strings.Contains(out, "the verifier rejected callback add of my_ops") || !at.MatchString(out) {
		t.Errorf("the refusal does not name callbacks.go:%d:\n%s", line, out)
	}
}

// lines splits out into lines without their line ends (the serial console
// ends them in \r\n).
func lines(out string) []string {
	var ls []string
	for _, l := range strings.Split(out, "\n") {
		ls = append(ls, strings.TrimRight(l, "\r"))
	}
	return ls
}
