package vm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReleaseFor(t *testing.T) {
	for _, c := range []struct{ series, name, want string }{
		{"6.12", "", "bookworm"}, {"7.3", "", "trixie"}, {"6.12", "trixie", "trixie"},
	} {
		r, err := releaseFor(c.series, c.name)
		if err != nil || r.codename != c.want {
			t.Errorf("releaseFor(%q, %q) = %q, %v; want %s", c.series, c.name, r.codename, err, c.want)
		}
	}
	if _, err := releaseFor("7.3", "sid"); err == nil {
		t.Error("releaseFor(sid): no error")
	}
}

func TestFixIncludeKbuildOutput(t *testing.T) {
	mk := filepath.Join(t.TempDir(), "Makefile")
	in := "KBUILD_OUTPUT=/usr/src/linux-headers-7.3.4+deb13-amd64\ninclude /usr/src/linux-headers-7.3.4+deb13-common/Makefile\n"
	if err := os.WriteFile(mk, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fixInclude(mk, "/c/root"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(mk)
	want := "KBUILD_OUTPUT=/c/root/usr/src/linux-headers-7.3.4+deb13-amd64\ninclude /c/root/usr/src/linux-headers-7.3.4+deb13-common/Makefile\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if r := kbuildRoot("/c/root/usr/src/linux-headers-x"); r != "/c/root" {
		t.Errorf("kbuildRoot = %q", r)
	}
	if !strings.HasSuffix(seriesPointer("/k", "7.3", releases["trixie"]), "series-7.3-trixie") {
		t.Error("seriesPointer")
	}
}
