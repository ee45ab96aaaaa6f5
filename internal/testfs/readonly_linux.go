// Package testfs has file-system helpers for the project's tests.
package testfs

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// MountReadOnly bind-mounts dir read-only onto itself until the test ends,
// so that writes fail even for root (CI runs the tests as root, and root
// writes into a 0555 directory anyway). It skips the test when this process
// cannot mount.
func MountReadOnly(t testing.TB, dir string) {
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
