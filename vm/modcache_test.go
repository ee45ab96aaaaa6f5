package vm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeKbuild makes a kbuild dir whose `make modules` copies a prebuilt
// ELF with a .BTF section into M as hello.ko and appends a line to the
// returned count file, so a test can see whether a build ran.
func fakeKbuild(t *testing.T) (kdir, count string) {
	t.Helper()
	kdir = t.TempDir()
	ko := filepath.Join(kdir, "prebuilt.ko")
	writeELF(t, ko, map[string][]byte{".BTF": {1, 2, 3, 4}}, ".BTF")
	count = filepath.Join(kdir, "builds")
	mk := "modules:\n\tcp " + ko + " $(M)/hello.ko\n\techo built >> " + count + "\n"
	if err := os.WriteFile(filepath.Join(kdir, "Makefile"), []byte(mk), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kdir, ".config"), []byte("CONFIG_X=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return kdir, count
}

func builds(t *testing.T, count string) int {
	data, err := os.ReadFile(count)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "built\n")
}

func TestBuildModuleCached(t *testing.T) {
	kdir, count := fakeKbuild(t)
	k := &Kernel{Version: "6.12.1-test", KDir: kdir, CacheDir: t.TempDir()}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hello.c"), []byte("int x;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kos1, cached, err := BuildModuleCached(ctx, k, src, BuildOptions{})
	if err != nil || cached || len(kos1) != 1 || builds(t, count) != 1 {
		t.Fatalf("first build: kos %v, cached %v, err %v, %d builds", kos1, cached, err, builds(t, count))
	}
	kos2, cached, err := BuildModuleCached(ctx, k, src, BuildOptions{})
	if err != nil || !cached || len(kos2) != 1 || kos2[0] != kos1[0] {
		t.Fatalf("second build: kos %v, cached %v, err %v", kos2, cached, err)
	}
	if n := builds(t, count); n != 1 {
		t.Errorf("unchanged module rebuilt: %d builds", n)
	}
	if err := checkBTF(kos2[0]); err != nil {
		t.Errorf("cached .ko: %v", err)
	}

	// a changed source, another option, another kernel: each rebuilds
	if err := os.WriteFile(filepath.Join(src, "hello.c"), []byte("int y;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, cached, err := BuildModuleCached(ctx, k, src, BuildOptions{}); err != nil || cached {
		t.Errorf("changed source: cached %v, err %v", cached, err)
	}
	if _, cached, err := BuildModuleCached(ctx, k, src, BuildOptions{W1: true}); err != nil || cached {
		t.Errorf("W=1: cached %v, err %v", cached, err)
	}
	if err := os.WriteFile(filepath.Join(kdir, ".config"), []byte("CONFIG_X=n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, cached, err := BuildModuleCached(ctx, k, src, BuildOptions{}); err != nil || cached {
		t.Errorf("changed kernel config: cached %v, err %v", cached, err)
	}
	if n := builds(t, count); n != 4 {
		t.Errorf("%d builds, want 4", n)
	}

	// an entry unused for longer than modCacheMaxAge goes at the next build
	old := time.Now().Add(-modCacheMaxAge - time.Hour)
	stale := filepath.Dir(kos1[0])
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "hello.c"), []byte("int z;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := BuildModuleCached(ctx, k, src, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale cache entry %s kept: %v", stale, err)
	}
}

func TestBuildModuleCachedFailureNotCached(t *testing.T) {
	kdir, count := fakeKbuild(t)
	if err := os.WriteFile(filepath.Join(kdir, "Makefile"), []byte("modules:\n\techo built >> "+count+"\n\tfalse\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k := &Kernel{Version: "6.12.1-test", KDir: kdir, CacheDir: t.TempDir()}
	src := t.TempDir()
	for i := 0; i < 2; i++ {
		if _, _, err := BuildModuleCached(context.Background(), k, src, BuildOptions{}); err == nil {
			t.Fatal("failing build succeeded")
		}
	}
	if n := builds(t, count); n != 2 {
		t.Errorf("%d builds of a failing module, want 2 (a failure is not cached)", n)
	}
}
