// Command structops-vm boots a Debian kernel in qemu with kernel modules and
// a guest command, for testing module-defined BPF struct_ops types.
//
// The binary is also the guest's /init: run as PID 1 it becomes guest.Main.
// A static build copies itself into the initramfs; a dynamically linked one
// (cgo on, the default of go install) brings the shared objects it runs
// with (vm.SelfInit), so it works wherever go install put it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/structops/structops-gen/vm"
	"github.com/structops/structops-gen/vm/guest"
)

func main() {
	if os.Getpid() == 1 {
		guest.Main()
	}
	vm.UseExecutableAsInit()
	os.Exit(run(os.Stdout, os.Stderr, os.Args[1:]))
}

const usage = `structops-vm: test kernel modules and BPF struct_ops in a qemu VM

Usage:
  structops-vm run [flags] [--] COMMAND [ARG...]
  structops-vm run [flags] --go PKG [-- ARG...]
      Fetch the kernel (cached), build each --module dir (cached by content),
      boot qemu with an initramfs holding the modules and --file files, load
      the modules in order (each must register BTF), run COMMAND in the guest
      and exit with its status. With --go, build the Go command PKG static
      (CGO_ENABLED=0, in the current module) and run it with the ARGs. The
      serial console goes to stdout, progress to stderr.
  structops-vm fetch [flags]
      Only get the kernel; print KVER=, KDIR= and VMLINUZ= lines.
  structops-vm build-module [flags] DIR
      Build the kbuild module in DIR (a copy of it) against the kernel's
      kbuild dir; print the .ko paths. Fails if a .ko has no .BTF.
  structops-vm selftest [--print L] [--stderr L] [--kmsg L] [--trace L] [--cat F] [--sleep D] [--kill] [--exit N]
      A tiny guest command for testing the runner (run it as /init selftest).
  structops-vm help [COMMAND]
      This text, or a command's flags.

Exit status: the guest command's status for run (128+N if signal N killed
it), 2 for usage errors, 1 for runner failures (bad input, download, build,
boot, timeout, module load).

Examples:
  structops-vm fetch
  structops-vm build-module ./out/module
  structops-vm run --module ./out/module --go ./out/loader -- --once
  structops-vm run --module ./out/module --file ./loader:/bin/loader -- /bin/loader --once
  structops-vm run --kernel ./bzImage --kdir ~/linux --ko ./foo.ko --timeout 120s -- /init selftest --exit 3
`

// commands are the subcommands that take flags, with their one-line use.
var commands = map[string]string{
	"run":          "structops-vm run [flags] [--] COMMAND [ARG...]\n       structops-vm run [flags] --go PKG [-- ARG...]",
	"fetch":        "structops-vm fetch [flags]",
	"build-module": "structops-vm build-module [flags] DIR",
}

type options struct {
	series, kernel, kdir, cache string
	offline, refresh            bool
	modules, kos, files         []string
	goPkg                       string
	noModuleCache               bool
	timeout                     time.Duration
	accel, appendArgs           string
	memory, cpus                int
	w1, noTrace, quiet          bool
}

// flags returns the flag set of a subcommand: the kernel flags for all,
// the build flags for build-module and run, the VM flags for run.
func flags(sub string, o *options, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("structops-vm "+sub, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.StringVar(&o.series, "series", vm.DefaultSeries, "Debian kernel series to fetch: the newest linux-headers-SERIES.*+deb12-amd64 of bookworm-backports/-security")
	fs.StringVar(&o.kernel, "kernel", "", "use this bzImage instead of a Debian kernel (with --kdir)")
	fs.StringVar(&o.kdir, "kdir", "", "kbuild dir of --kernel (its vmlinux must have .BTF for module BTF)")
	fs.StringVar(&o.cache, "cache", vm.DefaultCacheDir(), "cache dir for kernels, the KVM verdict and module builds")
	fs.BoolVar(&o.offline, "offline", false, "fail instead of downloading a kernel")
	fs.BoolVar(&o.refresh, "refresh", false, "look for a newer kernel of --series even if one is cached")
	if sub == "run" || sub == "build-module" {
		fs.BoolVar(&o.w1, "w1", false, "build modules with W=1 (extra warnings)")
	}
	if sub == "run" {
		fs.StringArrayVar(&o.modules, "module", nil, "kbuild module source dir to build and load (repeatable, loaded in order before --ko files)")
		fs.BoolVar(&o.noModuleCache, "no-module-cache", false, "build every --module even if an identical build is cached")
		fs.StringArrayVar(&o.kos, "ko", nil, "prebuilt .ko file to load (repeatable, in order)")
		fs.StringVar(&o.goPkg, "go", "", "Go command package to build static (CGO_ENABLED=0) in the current module and run as /bin/NAME with the ARGs after --")
		fs.StringArrayVar(&o.files, "file", nil, "HOSTPATH:GUESTPATH file to copy into the guest, e.g. ./loader:/bin/loader (repeatable; executables must be static)")
		fs.DurationVar(&o.timeout, "timeout", vm.DefaultTimeout, "wall-clock limit of the VM; the guest watchdog fires a little earlier")
		fs.StringVar(&o.accel, "accel", "auto", "auto (KVM only if a one-time probe shows it works, else TCG), kvm or tcg")
		fs.StringVar(&o.appendArgs, "append", "", "extra kernel command line")
		fs.IntVar(&o.memory, "memory", 1024, "guest memory in MiB")
		fs.IntVar(&o.cpus, "smp", 2, "guest CPUs")
		fs.BoolVar(&o.noTrace, "no-trace", false, "do not stream /sys/kernel/tracing/trace_pipe (for commands that read it)")
	}
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines")
	fs.Usage = func() {}
	return fs
}

// commandHelp writes a subcommand's usage and flags.
func commandHelp(w io.Writer, sub string) {
	var o options
	fmt.Fprintf(w, "Usage:\n  %s\n\nFlags:\n", strings.ReplaceAll(commands[sub], "\n       ", "\n  "))
	fs := flags(sub, &o, w)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func run(stdout, stderr io.Writer, args []string) int {
	if len(args) > 0 && args[0] == "selftest" {
		return guest.Selftest(stdout, stderr, args[1:])
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	sub, rest := args[0], args[1:]
	switch {
	case sub == "-h" || sub == "--help" || sub == "help" && len(rest) == 0:
		fmt.Fprint(stdout, usage)
		return 0
	case sub == "help":
		if _, ok := commands[rest[0]]; !ok || len(rest) > 1 {
			fmt.Fprintf(stderr, "structops-vm help: unknown command %q (want run, fetch or build-module)\n", strings.Join(rest, " "))
			return 2
		}
		commandHelp(stdout, rest[0])
		return 0
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "structops-vm %s: "+format+" (see structops-vm %s --help)\n", append(append([]any{sub}, a...), sub)...)
		return 2
	}
	if _, ok := commands[sub]; !ok {
		fmt.Fprintf(stderr, "structops-vm %s: unknown command (want run, fetch, build-module, selftest or help; see structops-vm --help)\n", sub)
		return 2
	}
	var o options
	fs := flags(sub, &o, stderr)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandHelp(stdout, sub)
			return 0
		}
		return usageErr("%v", err)
	}
	pos := fs.Args()
	switch sub {
	case "run":
		if len(pos) == 0 && o.goPkg == "" && len(o.modules)+len(o.kos) == 0 {
			return usageErr("nothing to do: give a guest command after --, --go PKG and/or --module/--ko")
		}
	case "fetch":
		if len(pos) != 0 {
			return usageErr("unexpected arguments %q", pos)
		}
	case "build-module":
		if len(pos) != 1 {
			return usageErr("want exactly one module source DIR")
		}
	}
	var files []vm.File
	for _, f := range o.files {
		host, g, ok := strings.Cut(f, ":")
		if !ok || host == "" || !strings.HasPrefix(g, "/") {
			return usageErr("--file %q: want HOSTPATH:/GUEST/PATH", f)
		}
		files = append(files, vm.File{HostPath: host, GuestPath: g})
	}
	var progress io.Writer = stderr
	if o.quiet {
		progress = nil
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fail := func(err error) int {
		fmt.Fprintf(stderr, "structops-vm %s: %v\n", sub, err)
		return 1
	}

	// every input is checked before the first build or download
	var errs []error
	for _, f := range files {
		if err := vm.CheckGuestFile(f.HostPath); err != nil {
			errs = append(errs, fmt.Errorf("--file %s:%s: %w", f.HostPath, f.GuestPath, err))
		}
	}
	dirs := o.modules
	if sub == "build-module" {
		dirs = pos
	}
	for _, d := range dirs {
		if err := vm.CheckModuleDir(d); err != nil {
			errs = append(errs, fmt.Errorf("module %s: %w", d, err))
		}
	}
	for _, ko := range o.kos {
		if _, err := os.Stat(ko); err != nil {
			errs = append(errs, fmt.Errorf("--ko: %w", err))
		}
	}
	var prog vm.GoProgram
	if o.goPkg != "" {
		var err error
		if prog, err = vm.CheckGoProgram(ctx, "", o.goPkg); err != nil {
			errs = append(errs, fmt.Errorf("--go: %w", err))
		}
		for _, f := range files {
			if err == nil && f.GuestPath == prog.GuestPath() {
				errs = append(errs, fmt.Errorf("--file %s:%s: --go %s goes to %s too", f.HostPath, f.GuestPath, o.goPkg, f.GuestPath))
			}
		}
	}
	if len(errs) > 0 {
		return fail(errors.Join(errs...))
	}

	command := pos
	if o.goPkg != "" {
		tmp, err := os.MkdirTemp("", "structops-vm-go-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(tmp)
		bin, err := vm.BuildGo(ctx, "", prog, tmp, progress)
		if err != nil {
			return fail(err)
		}
		files = append(files, vm.File{HostPath: bin, GuestPath: prog.GuestPath()})
		command = append([]string{prog.GuestPath()}, pos...)
	}

	k, err := vm.Prepare(ctx, vm.Config{Series: o.series, Kernel: o.kernel, KDir: o.kdir, CacheDir: o.cache,
		Offline: o.offline, Refresh: o.refresh, Progress: progress})
	if err != nil {
		return fail(err)
	}
	bo := vm.BuildOptions{W1: o.w1, Progress: progress, Chroot: k.BuildEnv}
	switch sub {
	case "fetch":
		fmt.Fprintf(stdout, "KVER=%s\nKDIR=%s\nVMLINUZ=%s\n", k.Version, k.KDir, k.Vmlinuz)
		return 0
	case "build-module":
		// kept: the .ko paths printed are in this dir
		dir, err := os.MkdirTemp("", "structops-vm-module-")
		if err != nil {
			return fail(err)
		}
		bo.Dir = dir
		kos, err := vm.BuildModuleOpts(ctx, k.KDir, pos[0], bo)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, strings.Join(kos, "\n"))
		return 0
	}
	var kos []string
	for _, dir := range o.modules {
		var built []string
		if o.noModuleCache {
			tmp, err := os.MkdirTemp("", "structops-vm-module-")
			if err != nil {
				return fail(err)
			}
			bo.Dir = tmp
			built, err = vm.BuildModuleOpts(ctx, k.KDir, dir, bo)
			if err != nil {
				return fail(err) // the build dir stays: the error names its build.log
			}
			defer os.RemoveAll(tmp)
		} else if built, _, err = vm.BuildModuleCached(ctx, k, dir, bo); err != nil {
			return fail(err)
		}
		kos = append(kos, built...)
	}
	kos = append(kos, o.kos...)
	res, err := vm.Run(ctx, k, vm.RunSpec{Modules: kos, Files: files, Command: command, Timeout: o.timeout,
		Accel: o.accel, MemoryMB: o.memory, CPUs: o.cpus, Append: o.appendArgs, NoTrace: o.noTrace}, stdout)
	if err != nil {
		return fail(err)
	}
	return res.ExitCode
}
