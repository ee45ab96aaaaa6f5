package vm

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultSeries is the kernel series fetched when Config.Series is empty.
const DefaultSeries = "6.12"

// codename is the Debian release whose backports/security suites carry the
// kernels this package fetches ("+deb12" ABI names).
const codename = "bookworm"

const defaultCodename = codename

// Config says which kernel Prepare should provide.
type Config struct {
	// Series is the upstream kernel series to fetch from Debian, e.g. "6.12"
	// (the default). Ignored when Kernel is set.
	Series string
	// Kernel (a bzImage) and KDir (its kbuild headers dir) use a kernel
	// supplied by the caller instead of a downloaded one. Both or neither.
	Kernel, KDir string
	// CacheDir holds downloaded kernels, the KVM verdict and built /init
	// binaries. Default: DefaultCacheDir().
	CacheDir string
	// Offline fails instead of downloading when no kernel of Series is cached.
	Offline bool
	// Refresh looks for a newer kernel of Series even if one is cached.
	Refresh bool
	// Progress receives one line per slow step; nil discards them.
	Progress io.Writer
	// AptSourcesDir is where the host's deb822 apt sources are read from.
	// Default /etc/apt/sources.list.d.
	AptSourcesDir string
	// Release is the Debian release to fetch Series from: "bookworm"
	// (+deb12 kernels, built on the host) or "trixie" (+deb13 kernels, whose
	// modules are built in a debootstrap'd trixie chroot, Kernel.BuildEnv).
	// Default: bookworm for 6.x series, trixie for 7.x and later.
	Release string
}

// Kernel is a bootable kernel with the kbuild tree to build modules for it.
type Kernel struct {
	Version  string // kernel release, e.g. "6.12.95+deb12-amd64"
	Vmlinuz  string // bzImage passed to qemu -kernel
	KDir     string // kbuild dir for make -C
	CacheDir string // absolute cache dir (KVM verdict, /init builds)
	// BuildEnv, if set, is a chroot dir in which modules for this kernel
	// must be built (pass it as BuildOptions.Chroot).
	BuildEnv string
	Progress io.Writer
}

// DefaultCacheDir is $XDG_CACHE_HOME/structops-gen, else
// os.UserCacheDir()/structops-gen, else a directory in os.TempDir().
func DefaultCacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "structops-gen")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "structops-gen")
	}
	return filepath.Join(os.TempDir(), "structops-gen-cache")
}

// Prepare returns a kernel to boot: the user's (Config.Kernel/KDir) or a
// Debian kernel of Config.Series, downloaded into the cache on first use.
// A cached kernel is used without any network access.
func Prepare(ctx context.Context, c Config) (*Kernel, error) {
	cache := c.CacheDir
	if cache == "" {
		cache = DefaultCacheDir()
	}
	cache, err := filepath.Abs(cache)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w (pick another one with --cache)", err)
	}
	p := progress{c.Progress}
	if c.Kernel != "" || c.KDir != "" {
		return userKernel(c.Kernel, c.KDir, cache, c.Progress)
	}
	series := c.Series
	if series == "" {
		series = DefaultSeries
	}
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+$`).MatchString(series) {
		return nil, fmt.Errorf("kernel series %q: want MAJOR.MINOR like %q", series, DefaultSeries)
	}
	rel, err := releaseFor(series, c.Release)
	if err != nil {
		return nil, err
	}
	kernels := filepath.Join(cache, "kernels")
	pointer := seriesPointer(kernels, series, rel)
	if k := cachedSeries(pointer, kernels, cache, c); k != nil {
		if !rel.chroot {
			return k, nil
		}
		if env, ok := cachedBuildEnv(cache, rel); ok {
			k.BuildEnv = env
			return k, nil
		}
	}
	if c.Offline {
		return nil, fmt.Errorf("no %s kernel (and %s build chroot) in cache %s and offline: run `structops-vm fetch --cache %s` first", series, rel.codename, cache, cache)
	}
	// one fetch at a time per cache (apt's lists lock would fail a second)
	unlock, err := lockFile(filepath.Join(cache, "fetch.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	withEnv := func(k *Kernel) (*Kernel, error) {
		if rel.chroot {
			env, err := ensureBuildEnv(ctx, cache, c.AptSourcesDir, rel, p)
			if err != nil {
				return nil, err
			}
			k.BuildEnv = env
		}
		return k, nil
	}
	if k := cachedSeries(pointer, kernels, cache, c); k != nil {
		return withEnv(k) // fetched by another process while we waited
	}
	apt, err := newApt(ctx, cache, c.AptSourcesDir, rel.codename, p)
	if err != nil {
		return nil, err
	}
	names, err := apt.output(ctx, "apt-cache", "pkgnames", "linux-headers-"+series+".")
	if err != nil {
		return nil, err
	}
	kver, err := selectKernel(series, strings.Fields(names))
	if err != nil {
		if rel.codename != codename {
			err = fmt.Errorf("%s: %w", rel.codename, err)
		}
		return nil, err
	}
	k, err := cachedKernel(kernels, kver, cache, c.Progress)
	if err != nil {
		if k, err = fetchKernel(ctx, apt, kernels, kver, cache, p); err != nil {
			return nil, err
		}
	}
	if k, err = withEnv(k); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pointer, []byte(kver+"\n"), 0o644); err != nil {
		return nil, err
	}
	return k, nil
}

// cachedSeries returns the cached kernel the series pointer names, or nil
// (also when c.Refresh asks to look for a newer one).
func cachedSeries(pointer, kernels, cache string, c Config) *Kernel {
	if c.Refresh {
		return nil
	}
	v, err := os.ReadFile(pointer)
	if err != nil {
		return nil
	}
	k, err := cachedKernel(kernels, strings.TrimSpace(string(v)), cache, c.Progress)
	if err != nil {
		return nil
	}
	return k
}

// lockFile takes an exclusive flock on path, creating it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

func userKernel(vmlinuz, kdir, cache string, prog io.Writer) (*Kernel, error) {
	if vmlinuz == "" || kdir == "" {
		return nil, errors.New("--kernel and --kdir go together: give the bzImage and the kbuild dir it was built with")
	}
	if _, err := os.Stat(vmlinuz); err != nil {
		return nil, fmt.Errorf("kernel image: %w", err)
	}
	rel, err := os.ReadFile(filepath.Join(kdir, "include/config/kernel.release"))
	if err != nil {
		return nil, fmt.Errorf("--kdir %s is not a prepared kbuild dir: %w", kdir, err)
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	return &Kernel{Version: strings.TrimSpace(string(rel)), Vmlinuz: abs(vmlinuz), KDir: abs(kdir), CacheDir: cache, Progress: prog}, nil
}

// layout of one cached kernel: kernels/<kver>/{vmlinuz,config,root/...}
func kernelPaths(kernels, kver string) (dir, vmlinuz, kdir string) {
	dir = filepath.Join(kernels, kver)
	return dir, filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "root/usr/src/linux-headers-"+kver)
}

func cachedKernel(kernels, kver, cache string, prog io.Writer) (*Kernel, error) {
	dir, vmlinuz, kdir := kernelPaths(kernels, kver)
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		return nil, err
	}
	return &Kernel{Version: kver, Vmlinuz: vmlinuz, KDir: kdir, CacheDir: cache, Progress: prog}, nil
}

// selectKernel picks the newest linux-headers-<series>.N+debNN-amd64 from a
// list of package names (other flavours such as -cloud or -rt are ignored)
// and returns its kernel release, e.g. "6.12.95+deb12-amd64". Older series
// carry an ABI number instead (linux-headers-6.1.0-NN-amd64: "6.1.0-NN-amd64").
func selectKernel(series string, names []string) (string, error) {
	re := regexp.MustCompile(`^linux-headers-(` + regexp.QuoteMeta(series) + `(?:\.([0-9]+)\+(?:deb[0-9]+|bpo)|\.0-([0-9]+))-amd64)$`)
	best, bestN := "", -1
	for _, n := range names {
		m := re.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		if p, _ := strconv.Atoi(m[2] + m[3]); p > bestN {
			best, bestN = m[1], p
		}
	}
	if best == "" {
		return "", fmt.Errorf("no linux-headers-%s.*+deb12-amd64 package in %s-backports or %s-security: check the series (%s is known to work) or pass --kernel and --kdir", series, codename, codename, DefaultSeries)
	}
	return best, nil
}

// headerDeps returns the -common headers and kbuild packages named in the
// Depends line of `apt-cache show linux-headers-<kver>`.
func headerDeps(show string) (common, kbuild string, err error) {
	for _, line := range strings.Split(show, "\n") {
		if !strings.HasPrefix(line, "Depends:") {
			continue
		}
		for _, alt := range strings.Split(strings.TrimPrefix(line, "Depends:"), ",") {
			for _, dep := range strings.Split(alt, "|") {
				name := strings.Fields(dep)
				if len(name) == 0 {
					continue
				}
				switch n := name[0]; {
				case strings.HasPrefix(n, "linux-headers-") && strings.HasSuffix(n, "-common") && common == "":
					common = n
				case strings.HasPrefix(n, "linux-kbuild-") && kbuild == "":
					kbuild = n
				}
			}
		}
		break
	}
	if common == "" || kbuild == "" {
		return "", "", fmt.Errorf("no linux-headers-*-common and linux-kbuild-* in the Depends line of:\n%s", show)
	}
	return common, kbuild, nil
}

// apt runs apt-get/apt-cache on a private configuration in the cache dir.
type apt struct {
	opts []string
}

func newApt(ctx context.Context, cache, srcDir, codename string, p progress) (*apt, error) {
	if srcDir == "" {
		srcDir = "/etc/apt/sources.list.d"
	}
	sources, err := hostAptSources(srcDir, codename)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cache, "apt")
	if codename != defaultCodename {
		dir += "-" + codename
	}
	for _, d := range []string{"sources.list.d", "lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "sources.list.d/structops-vm.sources"), []byte(sources), 0o644); err != nil {
		return nil, err
	}
	a := &apt{opts: []string{
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(dir, "sources.list.d"),
		"-o", "Dir::Etc::SourceList=/dev/null",
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "APT::Sandbox::User=root",
	}}
	t := p.start("apt-get update (%s-backports, %s-security; private config in %s)", codename, codename, dir)
	if _, err := a.output(ctx, "apt-get", "-q", "update"); err != nil {
		return nil, err
	}
	t.done()
	return a, nil
}

func (a *apt) output(ctx context.Context, tool string, args ...string) (string, error) {
	return a.outputIn(ctx, "", tool, args...)
}

func (a *apt) outputIn(ctx context.Context, dir, tool string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, tool, append(append([]string{}, a.opts...), args...)...)
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s%s", tool, strings.Join(args, " "), err, tail(out.String(), 10), tail(stderr.String(), 20))
	}
	return out.String(), nil
}

func fetchKernel(ctx context.Context, a *apt, kernels, kver, cache string, p progress) (*Kernel, error) {
	show, err := a.output(ctx, "apt-cache", "show", "linux-headers-"+kver)
	if err != nil {
		return nil, err
	}
	common, kbuild, err := headerDeps(show)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(kernels, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(kernels, ".fetch-"+kver+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	debs := filepath.Join(tmp, "debs")
	if err := os.Mkdir(debs, 0o755); err != nil {
		return nil, err
	}
	headers := []string{"linux-headers-" + kver, common, kbuild}
	t := p.start("downloading kernel %s: %s and linux-image-%s", kver, strings.Join(headers, " "), kver)
	if _, err := a.outputIn(ctx, debs, "apt-get", append([]string{"-q", "download"}, headers...)...); err != nil {
		return nil, err
	}
	image := "linux-image-" + kver
	if _, err := a.outputIn(ctx, debs, "apt-get", "-q", "download", image); err != nil {
		image += "-unsigned"
		if _, err2 := a.outputIn(ctx, debs, "apt-get", "-q", "download", image); err2 != nil {
			return nil, fmt.Errorf("%w\nand %w", err, err2)
		}
	}
	t.done()

	t = p.start("unpacking kernel %s", kver)
	dir, vmlinuz, kdir := kernelPaths(kernels, kver)
	root := filepath.Join(tmp, "root")
	for _, pkg := range headers {
		deb, err := findDeb(debs, pkg)
		if err != nil {
			return nil, err
		}
		if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("dpkg-deb -x %s: %w\n%s", deb, err, out)
		}
	}
	// The arch headers include the -common ones by absolute path
	// (/usr/src/...); point that into the cache, at the final location.
	mk := filepath.Join(root, "usr/src/linux-headers-"+kver, "Makefile")
	if err := fixInclude(mk, filepath.Join(dir, "root")); err != nil {
		return nil, err
	}
	deb, err := findDeb(debs, image)
	if err != nil {
		return nil, err
	}
	if err := extractBoot(ctx, deb, kver, tmp); err != nil {
		// 7.x: linux-image is a metapackage (linux-binary + linux-base)
		if err2 := newImageLayout(ctx, a, debs, kver, tmp); err2 != nil {
			return nil, fmt.Errorf("%w\nand %w", err, err2)
		}
	}
	if err := os.RemoveAll(debs); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), []byte(kver+"\n"), 0o644); err != nil {
		return nil, err
	}
	os.RemoveAll(dir) // an incomplete earlier attempt
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	t.done()
	return &Kernel{Version: kver, Vmlinuz: vmlinuz, KDir: kdir, CacheDir: cache, Progress: p.w}, nil
}

func findDeb(dir, pkg string) (string, error) {
	m, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(m) == 0 {
		return "", fmt.Errorf("apt-get download %s left no %s_*.deb in %s", pkg, pkg, dir)
	}
	sort.Strings(m)
	return m[len(m)-1], nil
}

// fixInclude rewrites "include /usr/src/..." in a Debian arch headers Makefile
// to "include ROOT/usr/src/...".
func fixInclude(makefile, root string) error {
	data, err := os.ReadFile(makefile)
	if err != nil {
		return fmt.Errorf("headers Makefile: %w", err)
	}
	re := regexp.MustCompile(`(?m)^include /usr/src/`)
	if !re.Match(data) {
		return fmt.Errorf("%s has no \"include /usr/src/\" line: the Debian headers layout changed", makefile)
	}
	data = re.ReplaceAll(data, []byte("include "+root+"/usr/src/"))
	// 7.x headers also set KBUILD_OUTPUT=/usr/src/linux-headers-<kver>
	out := regexp.MustCompile(`(?m)^KBUILD_OUTPUT=/usr/src/`)
	data = out.ReplaceAll(data, []byte("KBUILD_OUTPUT="+root+"/usr/src/"))
	return os.WriteFile(makefile, data, 0o644)
}

// extractBoot copies ./boot/vmlinuz-<kver> and ./boot/config-<kver> of a
// linux-image deb to dir/vmlinuz and dir/config, skipping the modules.
func extractBoot(ctx context.Context, deb, kver, dir string) error {
	return extractFiles(ctx, deb, map[string]string{"./boot/vmlinuz-" + kver: "vmlinuz", "./boot/config-" + kver: "config"}, dir)
}

// extractFiles copies the members of a deb named by the keys of want (tar
// paths like "./boot/vmlinuz-<kver>") to dir/<value>.
func extractFiles(ctx context.Context, deb string, want map[string]string, dir string) error {
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dpkg-deb: %w", err)
	}
	tr := tar.NewReader(out)
	for len(want) > 0 {
		h, err := tr.Next()
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("%s: %v not found in the package: %w", deb, want, err)
		}
		name, ok := want[h.Name]
		if !ok {
			continue
		}
		delete(want, h.Name)
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w: %s", deb, err, stderr.String())
	}
	return nil
}

// progress prints "structops-vm: ..." lines with the duration of each step.
type progress struct{ w io.Writer }

type step struct {
	p     progress
	what  string
	start time.Time
}

func (p progress) printf(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, "structops-vm: "+format+"\n", args...)
	}
}

func (p progress) start(format string, args ...any) step {
	s := step{p, fmt.Sprintf(format, args...), time.Now()}
	p.printf("%s ...", s.what)
	return s
}

func (s step) done() {
	s.p.printf("%s: done in %.1fs", firstWords(s.what), time.Since(s.start).Seconds())
}

func firstWords(s string) string {
	if i := strings.IndexAny(s, ":("); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
