package vm

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cavaliergopher/cpio"

	"github.com/structops/structops-gen/vm/guest"
)

// File is a host file copied into the guest.
type File struct {
	HostPath  string // file on the host
	GuestPath string // absolute path in the guest, e.g. /bin/loader
}

// Initramfs describes the guest's root file system.
type Initramfs struct {
	// Init is a binary that runs guest.Main as PID 1: static (see
	// InitBinary), or dynamically linked with InitLibs (see SelfInit).
	Init string
	// InitLibs are the shared objects a dynamically linked Init runs
	// with, at their guest paths (SelfInit). Empty: Init must be static.
	InitLibs []File
	// Modules are .ko files, copied to /modules/ and loaded in this order.
	Modules []string
	// Files are extra files (mode taken from the host file).
	Files []File
	// Command is the guest command's argv.
	Command []string
	// NoTrace: see guest.Config.NoTrace.
	NoTrace bool
}

// Write writes the initramfs as a gzip'd newc cpio archive. The output
// depends only on the inputs' contents, names and permissions: entries are
// sorted, mtimes are 0 and owners are root.
func (r Initramfs) Write(w io.Writer) error {
	if len(r.InitLibs) == 0 {
		if err := checkStatic(r.Init); err != nil {
			return err
		}
	}
	type entry struct {
		data []byte
		mode cpio.FileMode
	}
	entries := map[string]entry{}
	add := func(guestPath string, data []byte, perm os.FileMode) error {
		name := strings.TrimPrefix(path.Clean("/"+guestPath), "/")
		if name == "" || name == "." {
			return fmt.Errorf("bad guest path %q", guestPath)
		}
		if _, dup := entries[name]; dup {
			return fmt.Errorf("guest path /%s given twice", name)
		}
		entries[name] = entry{data, cpio.TypeReg | cpio.FileMode(perm.Perm())}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if e, ok := entries[d]; ok && !e.mode.IsDir() {
				return fmt.Errorf("guest path /%s is both a file and a directory", d)
			}
			entries[d] = entry{nil, cpio.TypeDir | 0o755}
		}
		return nil
	}
	addHost := func(host, guestPath string) error {
		data, err := os.ReadFile(host)
		if err != nil {
			return err
		}
		fi, err := os.Stat(host)
		if err != nil {
			return err
		}
		return add(guestPath, data, fi.Mode())
	}
	for _, d := range []string{"dev", "proc", "sys", "tmp", "etc/structops-vm"} {
		entries[d] = entry{nil, cpio.TypeDir | 0o755}
	}
	if err := addHost(r.Init, "/init"); err != nil {
		return fmt.Errorf("init binary: %w", err)
	}
	cfg := guest.Config{Command: r.Command, NoTrace: r.NoTrace}
	for _, ko := range r.Modules {
		name, err := moduleName(ko)
		if err != nil {
			return err
		}
		if err := checkBTF(ko); err != nil {
			return fmt.Errorf("%w (build it with BuildModule against the guest kernel's kbuild dir)", err)
		}
		gp := "/modules/" + filepath.Base(ko)
		if err := addHost(ko, gp); err != nil {
			return fmt.Errorf("module: %w", err)
		}
		cfg.Modules = append(cfg.Modules, guest.Module{Path: gp, Name: name})
	}
	for _, f := range r.InitLibs {
		if err := addHost(f.HostPath, f.GuestPath); err != nil {
			return fmt.Errorf("shared object of the init binary: %w", err)
		}
	}
	for _, f := range r.Files {
		if !strings.HasPrefix(f.GuestPath, "/") {
			return fmt.Errorf("guest path %q of %s must be absolute", f.GuestPath, f.HostPath)
		}
		if err := addHost(f.HostPath, f.GuestPath); err != nil {
			return fmt.Errorf("file: %w", err)
		}
	}
	js, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := add(guest.ConfigPath, append(js, '\n'), 0o644); err != nil {
		return err
	}

	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	cw := cpio.NewWriter(zw)
	for _, n := range names {
		e := entries[n]
		h := &cpio.Header{Name: n, Mode: e.mode, Size: int64(len(e.data)), ModTime: time.Unix(0, 0), Links: 1}
		if e.mode.IsDir() {
			h.Links = 2
		}
		if err := cw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := cw.Write(e.data); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// WriteFile writes the initramfs to a file.
func (r Initramfs) WriteFile(name string) error {
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		return err
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}

// moduleName reads the module name ("name=" in .modinfo) of a .ko, falling
// back to the file name as kbuild spells it.
func moduleName(ko string) (string, error) {
	f, err := elf.Open(ko)
	if err != nil {
		return "", fmt.Errorf("module %s: %w", ko, err)
	}
	defer f.Close()
	if s := f.Section(".modinfo"); s != nil {
		data, err := s.Data()
		if err == nil {
			for _, kv := range bytes.Split(data, []byte{0}) {
				if v, ok := bytes.CutPrefix(kv, []byte("name=")); ok && len(v) > 0 {
					return string(v), nil
				}
			}
		}
	}
	return strings.ReplaceAll(strings.TrimSuffix(filepath.Base(ko), ".ko"), "-", "_"), nil
}

// checkStatic fails unless bin is a statically linked ELF executable, which
// an initramfs without a libc needs.
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("init binary %q: %w (see InitBinary)", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("init binary %s is dynamically linked: build it with CGO_ENABLED=0", bin)
		}
	}
	return nil
}
