package vm

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// BuildOptions tune BuildModuleOpts.
type BuildOptions struct {
	// Dir is the build directory the sources are copied to; its previous
	// contents are removed. Default: a new directory in os.TempDir(),
	// which the caller may remove once the .ko files are no longer needed.
	Dir string
	// W1 passes W=1 (extra compiler warnings) to kbuild.
	W1 bool
	// C1 passes C=1: kbuild runs sparse (Debian package sparse) on every
	// source it compiles; its findings land in build.log as warnings.
	C1 bool
	// MakeArgs are extra make arguments, e.g. "CHECK=sparse -Wall".
	MakeArgs []string
	// Progress receives a line with the build time; nil discards it.
	Progress io.Writer
	// Chroot, if set (Kernel.BuildEnv), runs make in that chroot dir, with
	// the kbuild tree and the build dir bind-mounted at their own paths in
	// a private mount namespace (needs root).
	Chroot string
}

// BuildModule builds the out-of-tree kernel module in srcDir (a dir with a
// Kbuild or Makefile for kbuild) against the kbuild tree kdir and returns
// the paths of the built .ko files, sorted. See BuildModuleOpts.
func BuildModule(ctx context.Context, kdir, srcDir string) ([]string, error) {
	return BuildModuleOpts(ctx, kdir, srcDir, BuildOptions{})
}

// BuildModuleOpts runs `make -C kdir M=<copy of srcDir>` so srcDir stays
// clean. It fails if the build fails (with the tail of the build log, which
// is kept as build.log in the build dir) and if a .ko has no .BTF section:
// struct_ops types defined by a module need module BTF.
func BuildModuleOpts(ctx context.Context, kdir, srcDir string, o BuildOptions) ([]string, error) {
	kdir, err := filepath.Abs(kdir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(kdir, "Makefile")); err != nil {
		return nil, fmt.Errorf("kernel build dir: %w (give the kbuild dir of the guest kernel, see `structops-vm fetch`)", err)
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "structops-vm-module-"); err != nil {
			return nil, err
		}
	} else if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if err := copyTree(srcDir, dir); err != nil {
		return nil, fmt.Errorf("copy module sources %s: %w", srcDir, err)
	}
	args := []string{"-C", kdir, "M=" + dir, "-j" + strconv.Itoa(runtime.NumCPU()), "modules"}
	if o.W1 {
		args = append(args, "W=1")
	}
	if o.C1 {
		args = append(args, "C=1")
	}
	args = append(args, o.MakeArgs...)
	p := progress{o.Progress}
	t := p.start("building module %s (make %s)", srcDir, strings.Join(args, " "))
	var log bytes.Buffer
	cmd := exec.CommandContext(ctx, "make", args...)
	if o.Chroot != "" {
		// the kbuild dir's parent holds the -common headers (and, for the
		// cached Debian kernels, the kbuild tools) it refers to
		cmd = chrootCommand(ctx, o.Chroot, []string{kbuildRoot(kdir), dir}, append([]string{"make"}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = &log, &log
	runErr := cmd.Run()
	logPath := filepath.Join(dir, "build.log")
	_ = os.WriteFile(logPath, log.Bytes(), 0o644)
	if runErr != nil {
		where := "(a Debian kbuild tree needs make, gcc-12, dwarves, libelf1, libssl3 and zlib1g on the host)"
		if o.Chroot != "" {
			where = "(built in the chroot " + o.Chroot + ")"
		}
		first := ""
		if e := firstError(log.String()); e != "" {
			first = "\nfirst error: " + e
		}
		return nil, fmt.Errorf("build module %s: make %s: %w%s\n--- last lines of %s ---\n%s%s", srcDir, strings.Join(args, " "), runErr, first, logPath, tail(log.String(), 30), where)
	}
	t.done()
	var kos []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".ko") {
			kos = append(kos, path)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(kos) == 0 {
		return nil, fmt.Errorf("build module %s: make succeeded but built no .ko (does its Kbuild/Makefile set obj-m?); log: %s", srcDir, logPath)
	}
	sort.Strings(kos)
	for _, ko := range kos {
		if err := checkBTF(ko); err != nil {
			return nil, fmt.Errorf("%w\n%s", err, btfHint(kdir, log.String()))
		}
	}
	return kos, nil
}

// firstError returns the first compiler error line of a kbuild log (often
// the one that explains the rest, such as a module's #error on an old
// kernel), or "".
func firstError(log string) string {
	for _, ln := range strings.Split(log, "\n") {
		if strings.Contains(ln, ": error: ") || strings.Contains(ln, ": fatal error: ") {
			return strings.TrimSpace(ln)
		}
	}
	return ""
}

// checkBTF fails unless the module has a non-empty .BTF section.
func checkBTF(ko string) error {
	f, err := elf.Open(ko)
	if err != nil {
		return fmt.Errorf("module %s: %w", ko, err)
	}
	defer f.Close()
	if s := f.Section(".BTF"); s == nil || s.Size == 0 {
		return fmt.Errorf("module %s has no .BTF section: a struct_ops type it defines cannot register", ko)
	}
	return nil
}

// btfHint explains why kbuild produced a module without BTF.
func btfHint(kdir, log string) string {
	vmlinux := filepath.Join(kdir, "vmlinux")
	hint := "module BTF is generated by kbuild with pahole (package dwarves) from " + vmlinux + ", which must be the guest kernel's vmlinux with a .BTF section"
	if f, err := elf.Open(vmlinux); err != nil {
		hint += "; " + vmlinux + " is missing or not ELF (" + err.Error() + ")"
	} else {
		if f.Section(".BTF") == nil {
			hint += "; " + vmlinux + " has no .BTF section"
		}
		f.Close()
	}
	if _, err := exec.LookPath("pahole"); err != nil {
		hint += "; pahole is not installed (apt-get install dwarves)"
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "Skipping BTF") {
			hint += "; kbuild said: " + strings.TrimSpace(l)
			break
		}
	}
	return hint
}

// copyTree copies the regular files, dirs and symlinks of src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		default:
			return errors.New(path + ": not a regular file, dir or symlink")
		}
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
