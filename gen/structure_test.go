package gen

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportsOneWay: readers produce a model and emitters read one; neither
// imports the other, and the model imports neither.
func TestImportsOneWay(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	const readers, emitters, model = modulePath + "/gen/read/", modulePath + "/gen/emit/", modulePath + "/gen/model"
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		for _, imp := range imports {
			switch {
			case strings.HasPrefix(pkg, readers) && strings.HasPrefix(imp, emitters),
				strings.HasPrefix(pkg, emitters) && strings.HasPrefix(imp, readers),
				pkg == model && (strings.HasPrefix(imp, readers) || strings.HasPrefix(imp, emitters)),
				strings.HasPrefix(pkg, readers) && strings.HasPrefix(imp, readers) && !strings.HasPrefix(imp, pkg),
				strings.HasPrefix(pkg, emitters) && strings.HasPrefix(imp, emitters) && !strings.HasPrefix(imp, pkg):
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
		if strings.HasPrefix(pkg, readers) || strings.HasPrefix(pkg, emitters) {
			seen++
		}
	}
	if seen < 5 {
		t.Fatalf("found %d reader and emitter packages under gen/, want the three readers and two emitters:\n%s", seen, out)
	}
}

// TestFileSizes: no non-test Go file under gen/ is over 600 lines.
func TestFileSizes(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if lines := bytes.Count(src, []byte("\n")); lines > 600 {
			t.Errorf("%s: %d lines, more than 600: split it by concern", path, lines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("read %d Go files under gen/, want every one", n)
	}
}
