package output

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/structops/structops-gen/internal/testfs"
)

// seedDir writes a previous generation with a user-edited callbacks file.
func seedDir(t *testing.T) (string, Files) {
	t.Helper()
	dir := t.TempDir()
	old := Files{
		{Path: "a/ops.go", Data: []byte("old ops\n")},
		{Path: "a/callbacks.go", Data: []byte("generated callbacks\n"), UserOwned: true},
		{Path: "m/Makefile", Data: []byte("old makefile\n")},
	}
	if err := old.Write(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a/callbacks.go"), []byte("my edits\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	next := Files{
		{Path: "a/callbacks.go", Data: []byte("new callbacks\n"), UserOwned: true},
		{Path: "a/loader/main.go", Data: []byte("new loader\n")},
		{Path: "a/ops.go", Data: []byte("new ops\n")},
		{Path: "m/Makefile", Data: []byte("new makefile\n")},
		{Path: "z/sub/file.c", Data: []byte("new c\n")},
	}
	return dir, next
}

// TestWriteFailsMidway makes Write fail after it has staged files (and
// created directories), in each way it can fail, and checks the output dir
// is as it was: no file replaced, no temp file or new directory left.
func TestWriteFailsMidway(t *testing.T) {
	t.Run("parent is a file", func(t *testing.T) {
		dir, next := seedDir(t)
		if err := os.WriteFile(filepath.Join(dir, "z"), []byte("a file where a dir must go\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := testfs.DirState(t, dir)
		err := next.Write(dir)
		if err == nil || !strings.Contains(err.Error(), "is a file where a directory must go") {
			t.Fatalf("Write: %v, want an error naming the file in the way", err)
		}
		testfs.SameState(t, before, testfs.DirState(t, dir))
	})
	t.Run("destination is a directory", func(t *testing.T) {
		dir, next := seedDir(t)
		if err := os.MkdirAll(filepath.Join(dir, "z/sub/file.c"), 0o755); err != nil {
			t.Fatal(err)
		}
		before := testfs.DirState(t, dir)
		err := next.Write(dir)
		if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Fatalf("Write: %v, want an error naming the directory in the way", err)
		}
		testfs.SameState(t, before, testfs.DirState(t, dir))
	})
	t.Run("rename fails after two", func(t *testing.T) {
		dir, next := seedDir(t)
		before := testfs.DirState(t, dir)
		n := 0
		renameFile = func(from, to string) error {
			if n++; n == 3 {
				return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.New("injected failure")}
			}
			return os.Rename(from, to)
		}
		defer func() { renameFile = os.Rename }()
		err := next.Write(dir)
		if err == nil || !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("Write: %v, want the injected failure", err)
		}
		if n != 3 {
			t.Fatalf("%d renames, want the third to fail", n)
		}
		testfs.SameState(t, before, testfs.DirState(t, dir))
	})
	t.Run("read-only subdirectory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into a 0555 directory anyway: TestWriteReadOnlyDir covers root with a read-only mount")
		}
		dir, next := seedDir(t)
		m := filepath.Join(dir, "m")
		if err := os.Chmod(m, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(m, 0o755)
		before := testfs.DirState(t, dir)
		err := next.Write(dir)
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "m/Makefile") {
			t.Fatalf("Write: %v, want permission denied on m/Makefile", err)
		}
		testfs.SameState(t, before, testfs.DirState(t, dir))
	})
	t.Run("success", func(t *testing.T) {
		dir, next := seedDir(t)
		if err := next.Write(dir); err != nil {
			t.Fatal(err)
		}
		got := testfs.DirState(t, dir)
		want := map[string]string{
			"a/callbacks.go":   "my edits\n", // user-owned: kept
			"a/loader/main.go": "new loader\n",
			"a/ops.go":         "new ops\n",
			"m/Makefile":       "new makefile\n",
			"z/sub/file.c":     "new c\n",
		}
		for p, w := range want {
			if !strings.HasSuffix(got[p], " "+w) {
				t.Errorf("%s: %q, want %q", p, got[p], w)
			}
		}
		for p, v := range got {
			if !strings.HasPrefix(v, "d") && want[p] == "" {
				t.Errorf("%s left behind", p)
			}
		}
	})
}
