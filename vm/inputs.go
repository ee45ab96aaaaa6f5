package vm

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// CheckGuestFile checks that a host file to copy into the guest exists, is
// a regular file and, if it is an ELF executable, is statically linked: the
// guest has no shared libraries, so a dynamically linked program fails
// there with a puzzling "no such file or directory" (its interpreter).
func CheckGuestFile(host string) error {
	fi, err := os.Stat(host)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", host)
	}
	f, err := elf.Open(host)
	if err != nil {
		return nil // not ELF: data or a script
	}
	defer f.Close()
	interp, err := interpreter(host)
	if err != nil {
		return err
	}
	if interp != "" {
		return fmt.Errorf("%s is dynamically linked (interpreter %s) and the guest has no shared libraries: build it static, e.g. CGO_ENABLED=0 go build -o %s ./PKG, or let structops-vm build it with --go PKG", host, interp, host)
	}
	return nil
}

// CheckModuleDir checks that dir is a kbuild module source dir: a
// directory with a Kbuild or Makefile.
func CheckModuleDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (want a kbuild module source dir)", dir)
	}
	for _, f := range []string{"Kbuild", "Makefile"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s has no Kbuild or Makefile: not a kbuild module source dir", dir)
}

// GoProgram is a Go main package to build for the guest.
type GoProgram struct {
	Pkg        string // as given: an import path or a ./relative dir
	ImportPath string // resolved by go list
	Name       string // the binary's name: the last element of ImportPath
}

// GuestPath is where Run's caller puts the program in the guest.
func (g GoProgram) GuestPath() string { return "/bin/" + g.Name }

// CheckGoProgram resolves pkg with `go list` in dir (the current
// directory if ""), in the module there with its go.mod, and checks that
// it is a main package, without building it.
func CheckGoProgram(ctx context.Context, dir, pkg string) (GoProgram, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-f", "{{.Name}} {{.ImportPath}}", pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return GoProgram{}, fmt.Errorf("go package %s: the go command is needed to build it: %w", pkg, err)
		}
		return GoProgram{}, fmt.Errorf("go package %s: %s", pkg, firstLines(stderr.String(), err))
	}
	name, imp, _ := strings.Cut(strings.TrimSpace(stdout.String()), " ")
	if strings.Contains(imp, "\n") {
		return GoProgram{}, fmt.Errorf("go package %s names several packages: give one main package", pkg)
	}
	if name != "main" {
		return GoProgram{}, fmt.Errorf("go package %s (%s) is package %s, not a command (package main)", pkg, imp, name)
	}
	return GoProgram{Pkg: pkg, ImportPath: imp, Name: binName(imp)}, nil
}

// binName is the file name go build gives a command: the import path's
// last element, or the one before a major version suffix.
func binName(imp string) string {
	base := path.Base(imp)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" && path.Dir(imp) != "." {
		return path.Base(path.Dir(imp))
	}
	return base
}

// BuildGo builds g with CGO_ENABLED=0 (a static binary the guest can run)
// into outDir, in dir (the current directory if "") with the go.mod found
// there, and returns the binary's path. File paths stay untrimmed so that
// the program's errors name the user's source files.
func BuildGo(ctx context.Context, dir string, g GoProgram, outDir string, prog io.Writer) (string, error) {
	bin := filepath.Join(outDir, g.Name)
	t := progress{prog}.start("building %s (CGO_ENABLED=0 go build)", g.ImportPath)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, g.Pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build go package %s: %s", g.Pkg, firstLines(string(out), err))
	}
	if err := CheckGuestFile(bin); err != nil {
		return "", fmt.Errorf("build go package %s: %w (is -linkmode=external in GOFLAGS?)", g.Pkg, err)
	}
	t.done()
	return bin, nil
}

// firstLines is a command's output, or its error when it printed nothing.
func firstLines(out string, err error) string {
	if s := strings.TrimSpace(out); s != "" {
		return s
	}
	return err.Error()
}
