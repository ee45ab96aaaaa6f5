package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/errors/*/stderr.txt from what structops-gen prints")

// The error catalogue: every directory under testdata/errors is one bad
// invocation of structops-gen, run through run() in this process.
//
//	args        one CLI argument per line. A path argument (the value of
//	            --spec, --btf, --btf-base, -I, -o) is relative to the case dir;
//	            $OUT is the case's output dir, a fresh temp dir. Without -o
//	            the test adds -o $OUT.
//	seed        optional: args (same rules) of a successful run that fills
//	            $OUT with a previous generation first
//	edits       optional: small edits of the seeded $OUT, one a line:
//	            "remove PATH" deletes a file, "replace PATH "old" "new""
//	            (Go-quoted strings) replaces the first old in a file, so
//	            a case states its change instead of holding a full copy
//	out/        optional: files copied over $OUT after the edits (a file
//	            where a dir must go, a note, ...)
//	readonly    optional: $OUT is then bind-mounted read-only, so writes
//	            fail even as root (the case is skipped where mounting is
//	            not allowed)
//	stderr.txt  what structops-gen prints on stderr, with $OUT for the
//	            output dir (go test ./cmd/structops-gen -update rewrites it)
//
// Every case must exit non-zero, print exactly stderr.txt and leave $OUT
// byte for byte as it was.
func TestErrors(t *testing.T) {
	dirs, err := filepath.Glob("testdata/errors/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no cases under testdata/errors")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out := t.TempDir()
			if seed, err := os.ReadFile(filepath.Join(dir, "seed")); err == nil {
				var stdout, stderr bytes.Buffer
				if code := run(&stdout, &stderr, caseArgs(t, dir, string(seed), out)); code != 0 {
					t.Fatalf("seed run: exit %d: %s", code, stderr.String())
				}
			}
			if err := applyEdits(filepath.Join(dir, "edits"), out); err != nil {
				t.Fatal(err)
			}
			if err := copyTree(filepath.Join(dir, "out"), out); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "readonly")); err == nil {
				mountReadOnly(t, out)
			}
			args, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, out)
			var stdout, stderr bytes.Buffer
			code := run(&stdout, &stderr, caseArgs(t, dir, string(args), out))
			got := strings.ReplaceAll(stderr.String(), out, "$OUT")
			if code == 0 {
				t.Errorf("exit 0, want non-zero; stdout:\n%s", stdout.String())
			}
			if after := snapshot(t, out); !equalSnapshots(before, after) {
				t.Errorf("output dir changed:\n%s", diffSnapshots(before, after))
			}
			wantFile := filepath.Join(dir, "stderr.txt")
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/structops-gen -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("stderr:\n%s\nwant (%s):\n%s", got, wantFile, want)
			}
			// one line per problem: a message, or every problem of the
			// spec at once (and the drifted files of --check)
			if got == "" || strings.Contains(got, "\n\n") || !strings.HasSuffix(got, "\n") {
				t.Errorf("stderr is not one line per problem:\n%q", got)
			}
		})
	}
}

// pathFlags take a path, relative to the case dir in args files.
var pathFlags = map[string]bool{"--spec": true, "--btf": true, "--btf-base": true, "-o": true, "--out": true, "-I": true, "--include-dir": true}

// caseArgs turns an args file into run's arguments: paths relative to the
// case dir become relative to the test's working dir, $OUT the output dir.
func caseArgs(t *testing.T, dir, text, out string) []string {
	t.Helper()
	var args []string
	hasOut := false
	rel := func(p string) string {
		p = strings.ReplaceAll(p, "$OUT", out)
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		a := lines[i]
		if name, val, ok := strings.Cut(a, "="); ok && pathFlags[name] {
			hasOut = hasOut || name == "-o" || name == "--out"
			args = append(args, name+"="+rel(val))
			continue
		}
		args = append(args, strings.ReplaceAll(a, "$OUT", out))
		if pathFlags[a] && i+1 < len(lines) {
			hasOut = hasOut || a == "-o" || a == "--out"
			i++
			args = append(args, rel(lines[i]))
		}
	}
	if !hasOut && (len(args) == 0 || args[0] != "list" && args[0] != "init") {
		args = append(args, "-o", out)
	}
	return args
}

func copyTree(src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// snapshot records every entry below dir: its type, mode and contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			snap[rel] = "dir " + info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		snap[rel] = info.Mode().String() + " " + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func equalSnapshots(a, b map[string]string) bool { return diffSnapshots(a, b) == "" }

func diffSnapshots(before, after map[string]string) string {
	var out []string
	for p, v := range before {
		if w, ok := after[p]; !ok {
			out = append(out, "removed "+p)
		} else if v != w {
			out = append(out, "changed "+p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, "added "+p)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// applyEdits applies the edits file (see TestErrors) to the files below
// out; no edits file, no edits.
func applyEdits(file, out string) error {
	text, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		verb, rest, _ := strings.Cut(line, " ")
		path, rest, _ := strings.Cut(rest, " ")
		target := filepath.Join(out, filepath.FromSlash(path))
		switch verb {
		case "remove":
			if err := os.Remove(target); err != nil {
				return fmt.Errorf("%s: %q: %w", file, line, err)
			}
		case "replace":
			var args []string
			for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
				q, err := strconv.QuotedPrefix(rest)
				if err != nil {
					return fmt.Errorf("%s: %q: want replace PATH \"old\" \"new\": %w", file, line, err)
				}
				u, _ := strconv.Unquote(q)
				args, rest = append(args, u), rest[len(q):]
			}
			data, err := os.ReadFile(target)
			if err != nil {
				return fmt.Errorf("%s: %q: %w", file, line, err)
			}
			if len(args) != 2 || !strings.Contains(string(data), args[0]) {
				return fmt.Errorf("%s: %q: want replace PATH \"old\" \"new\" with old in the file", file, line)
			}
			if err := os.WriteFile(target, []byte(strings.Replace(string(data), args[0], args[1], 1)), 0o644); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: %q: want remove PATH or replace PATH \"old\" \"new\"", file, line)
		}
	}
	return nil
}
