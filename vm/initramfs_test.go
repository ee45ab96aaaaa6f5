package vm

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"

	"github.com/structops/structops-gen/vm/guest"
)

type cpioEntry struct {
	mode     cpio.FileMode
	uid, gid int
	mtime    int64
	data     string
}

func readInitramfs(t *testing.T, img []byte) ([]string, map[string]cpioEntry) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	r := cpio.NewReader(zr)
	var names []string
	entries := map[string]cpioEntry{}
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		entries[h.Name] = cpioEntry{h.Mode, h.Uid, h.Guid, h.ModTime.Unix(), string(data)}
	}
	return names, entries
}

func testInputs(t *testing.T) (dir string, ir Initramfs) {
	dir = t.TempDir()
	writeELF(t, filepath.Join(dir, "init"), map[string][]byte{".text": []byte("init-code")}, ".text")
	fakeKo(t, filepath.Join(dir, "b_mod.ko"), "b_mod", true)
	fakeKo(t, filepath.Join(dir, "a-mod.ko"), "a_mod", true)
	os.WriteFile(filepath.Join(dir, "loader"), []byte("#loader"), 0o755)
	os.WriteFile(filepath.Join(dir, "data.txt"), []byte("data"), 0o600)
	return dir, Initramfs{
		Init:    filepath.Join(dir, "init"),
		Modules: []string{filepath.Join(dir, "b_mod.ko"), filepath.Join(dir, "a-mod.ko")},
		Files: []File{
			{filepath.Join(dir, "loader"), "/bin/loader"},
			{filepath.Join(dir, "data.txt"), "/usr/share/x/data.txt"},
		},
		Command: []string{"/bin/loader", "--once", "arg with spaces"},
	}
}

func TestInitramfsContents(t *testing.T) {
	dir, ir := testInputs(t)
	var b bytes.Buffer
	if err := ir.Write(&b); err != nil {
		t.Fatal(err)
	}
	names, e := readInitramfs(t, b.Bytes())
	want := []string{"bin", "bin/loader", "dev", "etc", "etc/structops-vm", "etc/structops-vm/config.json",
		"init", "modules", "modules/a-mod.ko", "modules/b_mod.ko", "proc", "sys", "tmp",
		"usr", "usr/share", "usr/share/x", "usr/share/x/data.txt"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("entries:\n got %q\nwant %q", names, want)
	}
	for n, x := range e {
		if x.uid != 0 || x.gid != 0 || x.mtime != 0 {
			t.Errorf("%s: uid %d gid %d mtime %d, want 0 0 0", n, x.uid, x.gid, x.mtime)
		}
	}
	initData, _ := os.ReadFile(filepath.Join(dir, "init"))
	if x := e["init"]; x.data != string(initData) || x.mode != cpio.TypeReg|0o755 {
		t.Errorf("init: mode %o, %d bytes", x.mode, len(x.data))
	}
	if x := e["bin/loader"]; x.data != "#loader" || x.mode != cpio.TypeReg|0o755 {
		t.Errorf("bin/loader: mode %o data %q", x.mode, x.data)
	}
	if x := e["usr/share/x/data.txt"]; x.data != "data" || x.mode != cpio.TypeReg|0o600 {
		t.Errorf("data.txt: mode %o data %q", x.mode, x.data)
	}
	if x := e["dev"]; !x.mode.IsDir() {
		t.Errorf("dev mode %o", x.mode)
	}
	var cfg guest.Config
	if err := json.Unmarshal([]byte(e["etc/structops-vm/config.json"].data), &cfg); err != nil {
		t.Fatal(err)
	}
	// modules keep the given order and carry their .modinfo names
	wantMods := []guest.Module{{Path: "/modules/b_mod.ko", Name: "b_mod"}, {Path: "/modules/a-mod.ko", Name: "a_mod"}}
	if len(cfg.Modules) != 2 || cfg.Modules[0] != wantMods[0] || cfg.Modules[1] != wantMods[1] {
		t.Errorf("config modules = %+v, want %+v", cfg.Modules, wantMods)
	}
	if strings.Join(cfg.Command, "|") != "/bin/loader|--once|arg with spaces" || cfg.NoTrace {
		t.Errorf("config = %+v", cfg)
	}
}

func TestInitramfsReproducible(t *testing.T) {
	_, ir := testInputs(t)
	var a, b bytes.Buffer
	if err := ir.Write(&a); err != nil {
		t.Fatal(err)
	}
	// same contents from another directory, with other mtimes
	dir2, ir2 := testInputs(t)
	for _, f := range []string{"init", "loader", "b_mod.ko"} {
		os.Chtimes(filepath.Join(dir2, f), time0, time0)
	}
	if err := ir2.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same inputs gave different images")
	}
	// and a different command changes it
	ir2.Command = []string{"/bin/loader"}
	b.Reset()
	ir2.Write(&b)
	if bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("different command gave the same image")
	}
}

func TestInitramfsErrors(t *testing.T) {
	dir, ir := testInputs(t)
	noBTF := filepath.Join(dir, "nobtf.ko")
	fakeKo(t, noBTF, "nobtf", false)
	cases := map[string]func(*Initramfs){
		"no .BTF section":      func(r *Initramfs) { r.Modules = append(r.Modules, noBTF) },
		"dynamically linked":   func(r *Initramfs) { r.Init = "/bin/true" },
		"must be absolute":     func(r *Initramfs) { r.Files = []File{{filepath.Join(dir, "loader"), "bin/x"}} },
		"given twice":          func(r *Initramfs) { r.Files = append(r.Files, File{filepath.Join(dir, "loader"), "/init"}) },
		"file and a directory": func(r *Initramfs) { r.Files = append(r.Files, File{filepath.Join(dir, "loader"), "/bin/loader/x"}) },
	}
	for want, mutate := range cases {
		r := ir
		r.Files = append([]File{}, ir.Files...)
		mutate(&r)
		if err := r.Write(io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
}

var time0 = timeUnix(12345)
