package vm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// release is a Debian release whose backports/security suites carry the
// kernels Prepare fetches.
type release struct {
	codename string
	// chroot: the kernel's kbuild tools and compiler need a newer userland
	// than the host's (bookworm), so modules are built in a debootstrap'd
	// chroot of this release (Kernel.BuildEnv).
	chroot bool
	// include is the debootstrap --include list of the build chroot: what
	// the linux-headers/linux-kbuild packages of this release depend on.
	include []string
}

var releases = map[string]release{
	"bookworm": {codename: "bookworm"},
	// trixie-backports carries 7.x kernels (+deb13) built with gcc-14,
	// whose kbuild tools need glibc >= 2.38.
	"trixie": {codename: "trixie", chroot: true,
		include: []string{"make", "gcc-14", "pahole", "libelf1t64", "libssl3t64", "zlib1g"}},
}

// releaseFor returns the Debian release to fetch series from: name when
// given, else bookworm for 6.x series and trixie for 7.x and later.
func releaseFor(series, name string) (release, error) {
	if name == "" {
		name = codename
		if major, _, _ := strings.Cut(series, "."); major != "" {
			if n, err := strconv.Atoi(major); err == nil && n >= 7 {
				name = "trixie"
			}
		}
	}
	r, ok := releases[name]
	if !ok {
		return release{}, fmt.Errorf("Debian release %q: want bookworm or trixie", name)
	}
	return r, nil
}

// seriesPointer is the cache file naming the kernel release last fetched
// for series from r.
func seriesPointer(kernels, series string, r release) string {
	if r.codename == codename {
		return filepath.Join(kernels, "series-"+series)
	}
	return filepath.Join(kernels, "series-"+series+"-"+r.codename)
}

// buildEnvDir is the build chroot of r in the cache.
func buildEnvDir(cache string, r release) string {
	return filepath.Join(cache, "buildenv", r.codename)
}

// marker is what the "complete" file of a finished build chroot of r
// holds: a chroot made with another package list is made again.
func (r release) marker() string { return r.codename + " " + strings.Join(r.include, ",") + "\n" }

// cachedBuildEnv returns the build chroot of r if it is complete and has
// r's packages.
func cachedBuildEnv(cache string, r release) (string, bool) {
	dir := buildEnvDir(cache, r)
	if b, err := os.ReadFile(filepath.Join(dir, "complete")); err != nil || string(b) != r.marker() {
		return "", false
	}
	return filepath.Join(dir, "root"), true
}

// ensureBuildEnv creates, on first use, the build chroot of r with
// debootstrap (--variant=minbase), from the main archive URI and keyring of
// the host's deb822 apt sources. The caller holds the fetch lock.
func ensureBuildEnv(ctx context.Context, cache, srcDir string, r release, p progress) (string, error) {
	if root, ok := cachedBuildEnv(cache, r); ok {
		return root, nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", fmt.Errorf("kernels of %s are built in a %s chroot made with debootstrap, which is not installed (apt-get install debootstrap)", r.codename, r.codename)
	}
	if srcDir == "" {
		srcDir = "/etc/apt/sources.list.d"
	}
	uri, keyring, err := hostMainArchive(srcDir)
	if err != nil {
		return "", err
	}
	dir := buildEnvDir(cache, r)
	if err := os.RemoveAll(dir); err != nil { // an incomplete earlier attempt
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	root := filepath.Join(dir, "root")
	args := []string{"--variant=minbase", "--include=" + strings.Join(r.include, ",")}
	if keyring != "" {
		args = append(args, "--keyring="+keyring)
	}
	args = append(args, r.codename, root, uri)
	t := p.start("debootstrap %s build chroot (%s) into %s", r.codename, strings.Join(r.include, " "), root)
	cmd := exec.CommandContext(ctx, "debootstrap", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		_ = os.WriteFile(filepath.Join(dir, "debootstrap.log"), out.Bytes(), 0o644)
		return "", fmt.Errorf("debootstrap %s: %w\n%s(see also %s/debootstrap/debootstrap.log)", strings.Join(args, " "), err, tail(out.String(), 20), root)
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), []byte(r.marker()), 0o644); err != nil {
		return "", err
	}
	t.done()
	return root, nil
}

// hostMainArchive returns the first URI and the Signed-By keyring file of
// the host's deb822 stanza for the main Debian archive.
func hostMainArchive(dir string) (uri, keyring string, err error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.sources"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", "", err
		}
		st, err := parseDeb822(data)
		if err != nil {
			return "", "", fmt.Errorf("parse %s: %w", f, err)
		}
		for _, s := range st {
			if !s.has("types", "deb") || strings.EqualFold(s["enabled"], "no") || len(s.words("uris")) == 0 {
				continue
			}
			for _, suite := range s.words("suites") {
				if !strings.Contains(suite, "-") {
					kr := s["signed-by"]
					if strings.Contains(kr, "\n") || strings.Contains(kr, " ") {
						kr = "" // inline key: debootstrap takes the default keyring
					}
					return s.words("uris")[0], kr, nil
				}
			}
		}
	}
	return "", "", fmt.Errorf("no deb stanza for the main Debian archive in %s/*.sources: the build chroot needs it", dir)
}

// chrootCommand returns a command running argv in the chroot root, with
// /dev, /proc and each of binds (absolute host paths) bind-mounted at the
// same path inside it, in a private mount namespace that ends with the
// command (so nothing stays mounted). Paths thus mean the same inside and
// outside the chroot.
func chrootCommand(ctx context.Context, root string, binds []string, argv ...string) *exec.Cmd {
	script := `set -e; r=$1; n=$2; shift 2; i=0
while [ "$i" -lt "$n" ]; do mkdir -p "$r$1"; mount --bind "$1" "$r$1"; shift; i=$((i+1)); done
exec chroot "$r" "$@"`
	all := append([]string{"/dev", "/proc"}, binds...)
	args := []string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", root, strconv.Itoa(len(all))}
	args = append(append(args, all...), argv...)
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = append(os.Environ(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	return cmd
}

// newImageLayout extracts vmlinuz and config from the packages that carry
// them since the 7.x Debian kernels, where linux-image-<kver> is a
// metapackage: ./usr/lib/modules/<kver>/vmlinuz in linux-binary-<kver> and
// ./usr/lib/modules/<kver>/config in linux-base-<kver>.
func newImageLayout(ctx context.Context, a *apt, debs, kver, dir string) error {
	binary, base := "linux-binary-"+kver, "linux-base-"+kver
	if _, err := a.outputIn(ctx, debs, "apt-get", "-q", "download", binary, base); err != nil {
		return err
	}
	for pkg, want := range map[string]map[string]string{
		binary: {"./usr/lib/modules/" + kver + "/vmlinuz": "vmlinuz"},
		base:   {"./usr/lib/modules/" + kver + "/config": "config"},
	} {
		deb, err := findDeb(debs, pkg)
		if err != nil {
			return err
		}
		if err := extractFiles(ctx, deb, want, dir); err != nil {
			return err
		}
	}
	return nil
}

// kbuildRoot returns the dir to bind into a build chroot for the kbuild dir
// kdir: for a cached Debian kernel (.../root/usr/src/linux-headers-<kver>)
// the extracted package root holding the -common headers and the kbuild
// tools its symlinks point to, else kdir itself.
func kbuildRoot(kdir string) string {
	src := filepath.Dir(kdir)
	if filepath.Base(src) == "src" && filepath.Base(filepath.Dir(src)) == "usr" {
		return filepath.Dir(filepath.Dir(src))
	}
	return kdir
}
