package output

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/structops/structops-gen/internal/testfs"
)

// TestWriteReadOnlyDir: an output dir on a read-only file system, with a
// previous generation in it or empty, gives an error naming the directory
// and the fix, and nothing changes.
func TestWriteReadOnlyDir(t *testing.T) {
	t.Run("previous generation", func(t *testing.T) {
		dir, next := seedDir(t)
		testfs.MountReadOnly(t, dir)
		before := testfs.DirState(t, dir)
		err := next.Write(dir)
		if !errors.Is(err, syscall.EROFS) {
			t.Fatalf("Write: %v, want EROFS", err)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") {
			t.Fatalf("error is not one line: %q", msg)
		}
		for _, want := range []string{"create output dir " + filepath.Join(dir, "a", "loader") + ": read-only file system: choose an output directory on a writable file system"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Write: %v\nwant %q in it", err, want)
			}
		}
		testfs.SameState(t, before, testfs.DirState(t, dir))
	})
	t.Run("files in place", func(t *testing.T) {
		// every directory exists: the first file cannot be staged
		dir, next := seedDir(t)
		if err := next.Write(dir); err != nil {
			t.Fatal(err)
		}
		testfs.MountReadOnly(t, dir)
		before := testfs.DirState(t, dir)
		err := next.Write(dir)
		want := "write a/loader/main.go: cannot create a file in " + filepath.Join(dir, "a", "loader") + ": read-only file system: choose an output directory on a writable file system"
		if !errors.Is(err, syscall.EROFS) || err.Error() != want {
			t.Fatalf("Write: %v\nwant %s", err, want)
		}
		testfs.SameState(t, before, testfs.DirState(t, dir))
	})
	t.Run("empty", func(t *testing.T) {
		dir := t.TempDir()
		testfs.MountReadOnly(t, dir)
		_, next := seedDir(t)
		err := next.Write(dir)
		if !errors.Is(err, syscall.EROFS) || !strings.Contains(err.Error(), "create output dir "+filepath.Join(dir, "a")+": read-only file system") {
			t.Fatalf("Write: %v, want EROFS naming %s/a", err, dir)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%d entries in the read-only dir", len(entries))
		}
	})
}
