package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// modCacheVersion changes when the cache key or layout does.
const modCacheVersion = "structops-vm module cache 1"

// BuildModuleCached builds the module in srcDir for k like BuildModuleOpts
// (o.Dir is ignored) and keeps the .ko files in k.CacheDir/modules/KEY,
// where KEY hashes everything the build depends on: every file of srcDir
// (path, mode, contents), the kernel (release, kbuild dir, its .config and
// Module.symvers), the compiler (the build chroot and the identity of the
// gcc, ld and pahole it or the host has) and the build options. An
// unchanged module is not rebuilt: the cached .ko files are returned with
// cached true. A failed build caches nothing.
func BuildModuleCached(ctx context.Context, k *Kernel, srcDir string, o BuildOptions) (kos []string, cached bool, err error) {
	key, err := moduleKey(k, srcDir, o)
	if err != nil {
		return nil, false, fmt.Errorf("module %s: %w", srcDir, err)
	}
	root := filepath.Join(k.CacheDir, "modules")
	dir := filepath.Join(root, key)
	if kos, ok := cachedKos(dir); ok {
		now := time.Now()
		_ = os.Chtimes(dir, now, now) // in use: not pruned
		progress{o.Progress}.printf("module %s unchanged: using the build cached in %s", srcDir, dir)
		return kos, true, nil
	}
	pruneModules(root)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, false, err
	}
	build, err := os.MkdirTemp(root, ".build-")
	if err != nil {
		return nil, false, err
	}
	o.Dir = build
	built, err := BuildModuleOpts(ctx, k.KDir, srcDir, o)
	if err != nil {
		return nil, false, err // the build dir stays: the error names its build.log
	}
	defer os.RemoveAll(build)
	tmp, err := os.MkdirTemp(root, ".new-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(tmp)
	var list []string
	for _, ko := range built {
		rel, err := filepath.Rel(build, ko)
		if err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(rel)), 0o755); err != nil {
			return nil, false, err
		}
		if err := copyFile(ko, filepath.Join(tmp, rel), 0o644); err != nil {
			return nil, false, err
		}
		list = append(list, rel)
	}
	if err := os.WriteFile(filepath.Join(tmp, "kos"), []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		return nil, false, err
	}
	os.RemoveAll(dir) // a partial entry (no kos list) from an interrupted run
	if err := os.Rename(tmp, dir); err != nil {
		return nil, false, err
	}
	kos, _ = cachedKos(dir)
	return kos, false, nil
}

// modCacheMaxAge is how long a module build unused stays in the cache.
const modCacheMaxAge = 14 * 24 * time.Hour

// pruneModules removes the cached module builds unused for modCacheMaxAge
// (and build dirs left by failed builds as old), so that a module edited
// often does not fill the disk.
func pruneModules(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && e.IsDir() && time.Since(info.ModTime()) > modCacheMaxAge {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// cachedKos returns the .ko files of a complete cache entry.
func cachedKos(dir string) ([]string, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "kos"))
	if err != nil {
		return nil, false
	}
	var kos []string
	for _, rel := range strings.Fields(string(data)) {
		ko := filepath.Join(dir, rel)
		if _, err := os.Stat(ko); err != nil {
			return nil, false
		}
		kos = append(kos, ko)
	}
	return kos, len(kos) > 0
}

// moduleKey hashes the inputs of a module build (see BuildModuleCached).
func moduleKey(k *Kernel, srcDir string, o BuildOptions) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00kernel %s\x00kdir %s\x00chroot %s\x00w1 %v c1 %v make %q\x00",
		modCacheVersion, k.Version, k.KDir, o.Chroot, o.W1, o.C1, o.MakeArgs)
	for _, f := range []string{".config", "Module.symvers"} {
		if err := hashFile(h, filepath.Join(k.KDir, f)); err != nil && !os.IsNotExist(err) {
			return "", err
		}
	}
	for _, tool := range []string{"gcc", "gcc-12", "gcc-13", "gcc-14", "ld", "pahole"} {
		fmt.Fprintf(h, "tool %s %s\x00", tool, toolID(o.Chroot, tool))
	}
	err := filepath.WalkDir(srcDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(srcDir, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "file %s %v\x00", filepath.ToSlash(rel), info.Mode())
		switch {
		case info.Mode().IsRegular():
			return hashFile(h, path)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			fmt.Fprintf(h, "-> %s\x00", link)
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

func hashFile(h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	fmt.Fprintf(h, "\x00%d\x00", n)
	return err
}

// toolID identifies a build tool by its resolved path, size and mtime (in
// the chroot if there is one): an upgraded compiler gives another key
// without hashing tens of megabytes on every run.
func toolID(chroot, tool string) string {
	var p string
	if chroot != "" {
		for _, d := range []string{"/usr/bin", "/bin", "/usr/local/bin"} {
			if c := filepath.Join(chroot, d, tool); fileExists(c) {
				p = c
				break
			}
		}
	} else if lp, err := exec.LookPath(tool); err == nil {
		p = lp
	}
	if p == "" {
		return "none"
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		// an absolute symlink inside a chroot points into the chroot
		return p
	}
	fi, err := os.Stat(real)
	if err != nil {
		return real
	}
	return fmt.Sprintf("%s %d %d", real, fi.Size(), fi.ModTime().UnixNano())
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
