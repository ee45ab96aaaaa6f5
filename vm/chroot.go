package vm

import (
	"context"
	"os/exec"
)

// CachedBuildChroot returns the build chroot of the Debian release codename
// ("trixie") in the cache dir cacheDir, as Prepare makes it for that
// release's kernels, and whether it is there and complete. It never
// creates one.
func CachedBuildChroot(cacheDir, codename string) (string, bool) {
	r, ok := releases[codename]
	if !ok || !r.chroot {
		return "", false
	}
	return cachedBuildEnv(cacheDir, r)
}

// ChrootCommand returns a command running argv in the chroot root, with
// /dev, /proc and each of binds (absolute host paths) bind-mounted at the
// same path inside it, so that paths mean the same inside and outside. The
// mounts live in a private mount namespace that ends with the command.
// It needs root (unshare --mount, chroot).
func ChrootCommand(ctx context.Context, root string, binds []string, argv ...string) *exec.Cmd {
	return chrootCommand(ctx, root, binds, argv...)
}
