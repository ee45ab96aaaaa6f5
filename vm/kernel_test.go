package vm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAptSourcesBookworm(t *testing.T) {
	got, err := hostAptSources("testdata/apt/bookworm", "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	want := `Types: deb
URIs: http://mirror.example/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// On a newer host the bookworm suites are derived from the same stanzas;
// an inline Signed-By key keeps its continuation lines, disabled stanzas and
// other repositories are skipped.
func TestAptSourcesTrixieInlineKey(t *testing.T) {
	got, err := hostAptSources("testdata/apt/trixie", "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	stanzas, err := parseDeb822([]byte(got))
	if err != nil {
		t.Fatalf("derived sources do not parse: %v\n%s", err, got)
	}
	if len(stanzas) != 2 {
		t.Fatalf("want 2 stanzas, got %d:\n%s", len(stanzas), got)
	}
	if s := stanzas[0]; s["uris"] != "http://mirror.example/debian" || s["suites"] != "bookworm-backports" ||
		!strings.Contains(s["signed-by"], "\n mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw") || !strings.HasSuffix(s["signed-by"], "END PGP PUBLIC KEY BLOCK-----") {
		t.Errorf("backports stanza: %q", s)
	}
	if s := stanzas[1]; s["uris"] != "http://mirror.example/debian-security" || s["suites"] != "bookworm-security" || s["types"] != "deb" {
		t.Errorf("security stanza: %q", s)
	}
}

func TestAptSourcesErrors(t *testing.T) {
	if _, err := hostAptSources("testdata/apt/nomain", "bookworm"); err == nil || !strings.Contains(err.Error(), "main Debian archive") {
		t.Errorf("no main stanza: err = %v", err)
	}
	if _, err := hostAptSources(t.TempDir(), "bookworm"); err == nil || !strings.Contains(err.Error(), "no *.sources") {
		t.Errorf("empty dir: err = %v", err)
	}
	if _, err := parseDeb822([]byte(" continuation first\n")); err == nil {
		t.Error("continuation line without a field parsed")
	}
}

func TestSelectKernel(t *testing.T) {
	data, err := os.ReadFile("testdata/pkgnames-6.12.txt")
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Fields(string(data))
	got, err := selectKernel("6.12", names)
	if err != nil || got != "6.12.117+deb12-amd64" {
		t.Errorf("selectKernel(6.12) = %q, %v; want 6.12.117+deb12-amd64", got, err)
	}
	if got, err := selectKernel("6.13", names); err != nil || got != "6.13.4+deb12-amd64" {
		t.Errorf("selectKernel(6.13) = %q, %v", got, err)
	}
	if _, err := selectKernel("6.2", names); err == nil {
		t.Error("6.2 (not in the list) selected something")
	}
	// 6.1 has ABI-numbered names: the newest ABI wins, not the longest name
	abi := []string{"linux-headers-6.1.0-9-amd64", "linux-headers-6.1.0-41-amd64", "linux-headers-6.1.0-41-common",
		"linux-headers-6.1.0-41-cloud-amd64", "linux-headers-6.1.0-40-amd64"}
	if got, err := selectKernel("6.1", abi); err != nil || got != "6.1.0-41-amd64" {
		t.Errorf("selectKernel(6.1) = %q, %v; want 6.1.0-41-amd64", got, err)
	}
}

func TestHeaderDeps(t *testing.T) {
	data, err := os.ReadFile("testdata/headers-show.txt")
	if err != nil {
		t.Fatal(err)
	}
	common, kbuild, err := headerDeps(string(data))
	if err != nil || common != "linux-headers-6.12.117+deb12-common" || kbuild != "linux-kbuild-6.12.117+deb12" {
		t.Errorf("headerDeps = %q, %q, %v", common, kbuild, err)
	}
	if _, _, err := headerDeps("Package: x\nDepends: libc6\n"); err == nil {
		t.Error("headerDeps without kbuild succeeded")
	}
}

func TestFixInclude(t *testing.T) {
	mk := filepath.Join(t.TempDir(), "Makefile")
	os.WriteFile(mk, []byte("include /usr/src/linux-headers-6.12.117+deb12-common/Makefile\n"), 0o644)
	if err := fixInclude(mk, "/cache/root"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(mk); string(got) != "include /cache/root/usr/src/linux-headers-6.12.117+deb12-common/Makefile\n" {
		t.Errorf("Makefile after fix: %q", got)
	}
	if err := fixInclude(mk, "/x"); err == nil {
		t.Error("second fix found an absolute include again")
	}
}

func TestPrepareUserKernel(t *testing.T) {
	kdir := filepath.Join(t.TempDir(), "kdir")
	os.MkdirAll(filepath.Join(kdir, "include/config"), 0o755)
	os.WriteFile(filepath.Join(kdir, "include/config/kernel.release"), []byte("6.99.0-test\n"), 0o644)
	bz := filepath.Join(t.TempDir(), "bzImage")
	os.WriteFile(bz, []byte("x"), 0o644)
	k, err := Prepare(t.Context(), Config{Kernel: bz, KDir: kdir, CacheDir: t.TempDir()})
	if err != nil || k.Version != "6.99.0-test" || k.Vmlinuz != bz || k.KDir != kdir {
		t.Fatalf("Prepare = %+v, %v", k, err)
	}
	if _, err := Prepare(t.Context(), Config{Kernel: bz, CacheDir: t.TempDir()}); err == nil {
		t.Error("--kernel without --kdir accepted")
	}
	if _, err := Prepare(t.Context(), Config{Offline: true, CacheDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("offline with empty cache: %v", err)
	}
}
