package gen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// mountReadOnly bind-mounts dir read-only onto itself until the test ends,
// so that writes fail even for root (CI runs the tests as root, and root
// writes into a 0555 directory anyway). It skips the test when this process
// cannot mount.
func mountReadOnly(t *testing.T, dir string) {
	t.Helper()
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount %s: %v (needs CAP_SYS_ADMIN)", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	if err := unix.Mount("", dir, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount %s read-only: %v", dir, err)
	}
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Fatalf("%s is still writable after the read-only remount", dir)
	}
}

// TestWriteReadOnlyDir: an output dir on a read-only file system, with a
// previous generation in it or empty, gives an error naming the directory
// and the fix, and nothing changes.
func TestWriteReadOnlyDir(t *testing.T) {
	t.Run("previous generation", func(t *testing.T) {
		dir, next := seedDir(t)
		mountReadOnly(t, dir)
		before := dirState(t, dir)
		err := next.Write(dir)
		if !errors.Is(err, syscall.EROFS) {
			t.Fatalf("Write: %v, want EROFS", err)
		}
		checkMessage(t, err)
		for _, want := range []string{"create output dir " + filepath.Join(dir, "a", "loader") + ": read-only file system: pass -o with a directory on a writable file system"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Write: %v\nwant %q in it", err, want)
			}
		}
		sameState(t, before, dirState(t, dir))
	})
	t.Run("files in place", func(t *testing.T) {
		// every directory exists: the first file cannot be staged
		dir, next := seedDir(t)
		if err := next.Write(dir); err != nil {
			t.Fatal(err)
		}
		mountReadOnly(t, dir)
		before := dirState(t, dir)
		err := next.Write(dir)
		want := "write a/loader/main.go: cannot create a file in " + filepath.Join(dir, "a", "loader") + ": read-only file system: pass -o with a directory on a writable file system"
		if !errors.Is(err, syscall.EROFS) || err.Error() != want {
			t.Fatalf("Write: %v\nwant %s", err, want)
		}
		sameState(t, before, dirState(t, dir))
	})
	t.Run("empty", func(t *testing.T) {
		dir := t.TempDir()
		mountReadOnly(t, dir)
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
