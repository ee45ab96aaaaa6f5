// Command structops-vm boots a Debian kernel in qemu with kernel modules and
// a guest command, for testing module-defined BPF struct_ops types.
//
// The binary is also the guest's /init: run as PID 1 it becomes guest.Main.
// Built with CGO_ENABLED=0 it is static and copies itself into the
// initramfs; otherwise it builds a static copy of itself with the Go
// toolchain (from inside the structops-gen checkout).
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
      Fetch the kernel (cached), build each --module dir, boot qemu with an
      initramfs holding the modules and --file files, load the modules in
      order (each must register BTF), run COMMAND in the guest and exit with
      its status. The serial console goes to stdout, progress to stderr.
  structops-vm fetch [flags]
      Only get the kernel; print KVER=, KDIR= and VMLINUZ= lines.
  structops-vm build-module [flags] DIR
      Build the kbuild module in DIR (a copy of it) against the kernel's
      kbuild dir; print the .ko paths. Fails if a .ko has no .BTF.
  structops-vm selftest [--print L] [--stderr L] [--kmsg L] [--trace L] [--cat F] [--sleep D] [--kill] [--exit N]
      A tiny guest command for testing the runner (run it as /init selftest).

Exit status: the guest command's status for run (128+N if signal N killed
it), 2 for usage errors, 1 for runner failures (download, build, boot,
timeout, module load).

Examples:
  structops-vm fetch
  structops-vm build-module ./out/module
  structops-vm run --module ./out/module --file ./loader:/bin/loader -- /bin/loader --once
  structops-vm run --kernel ./bzImage --kdir ~/linux --ko ./foo.ko --timeout 120s -- /init selftest --exit 3

Flags:
`

type options struct {
	series, kernel, kdir, cache string
	offline, refresh            bool
	modules, kos, files         []string
	timeout                     time.Duration
	accel, appendArgs           string
	memory, cpus                int
	w1, noTrace, quiet          bool
}

func flags(o *options, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("structops-vm", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.series, "series", vm.DefaultSeries, "Debian kernel series to fetch: the newest linux-headers-SERIES.*+deb12-amd64 of bookworm-backports/-security")
	fs.StringVar(&o.kernel, "kernel", "", "use this bzImage instead of a Debian kernel (with --kdir)")
	fs.StringVar(&o.kdir, "kdir", "", "kbuild dir of --kernel (its vmlinux must have .BTF for module BTF)")
	fs.StringVar(&o.cache, "cache", vm.DefaultCacheDir(), "cache dir for kernels, the KVM verdict and /init builds")
	fs.BoolVar(&o.offline, "offline", false, "fail instead of downloading a kernel")
	fs.BoolVar(&o.refresh, "refresh", false, "look for a newer kernel of --series even if one is cached")
	fs.StringArrayVar(&o.modules, "module", nil, "kbuild module source dir to build and load (repeatable, loaded in order before --ko files)")
	fs.StringArrayVar(&o.kos, "ko", nil, "prebuilt .ko file to load (repeatable, in order)")
	fs.StringArrayVar(&o.files, "file", nil, "HOSTPATH:GUESTPATH file to copy into the guest, e.g. ./loader:/bin/loader (repeatable)")
	fs.DurationVar(&o.timeout, "timeout", vm.DefaultTimeout, "wall-clock limit of the VM; the guest watchdog fires a little earlier")
	fs.StringVar(&o.accel, "accel", "auto", "auto (KVM only if a one-time probe shows it works, else TCG), kvm or tcg")
	fs.StringVar(&o.appendArgs, "append", "", "extra kernel command line")
	fs.IntVar(&o.memory, "memory", 1024, "guest memory in MiB")
	fs.IntVar(&o.cpus, "smp", 2, "guest CPUs")
	fs.BoolVar(&o.w1, "w1", false, "build modules with W=1 (extra warnings)")
	fs.BoolVar(&o.noTrace, "no-trace", false, "do not stream /sys/kernel/tracing/trace_pipe (for commands that read it)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines")
	fs.Usage = func() {}
	return fs
}

func run(stdout, stderr io.Writer, args []string) int {
	if len(args) > 0 && args[0] == "selftest" {
		return guest.Selftest(stdout, stderr, args[1:])
	}
	var o options
	fs := flags(&o, stderr)
	help := func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		help()
		return 2
	}
	sub, rest := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		help()
		return 0
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			help()
			return 0
		}
		fmt.Fprintf(stderr, "structops-vm %s: %v\n", sub, err)
		return 2
	}
	pos := fs.Args()
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "structops-vm %s: "+format+" (see structops-vm --help)\n", append([]any{sub}, a...)...)
		return 2
	}
	switch sub {
	case "run":
		if len(pos) == 0 && len(o.modules)+len(o.kos) == 0 {
			return usageErr("nothing to do: give a guest command after -- and/or --module/--ko")
		}
	case "fetch":
		if len(pos) != 0 {
			return usageErr("unexpected arguments %q", pos)
		}
	case "build-module":
		if len(pos) != 1 {
			return usageErr("want exactly one module source DIR")
		}
	default:
		return usageErr("unknown command (want run, fetch, build-module or selftest)")
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
	k, err := vm.Prepare(ctx, vm.Config{Series: o.series, Kernel: o.kernel, KDir: o.kdir, CacheDir: o.cache,
		Offline: o.offline, Refresh: o.refresh, Progress: progress})
	if err != nil {
		return fail(err)
	}
	// build builds a module dir into a fresh temp dir, kept only on failure
	// (the error names its build.log).
	var buildDirs []string
	defer func() {
		for _, d := range buildDirs {
			os.RemoveAll(d)
		}
	}()
	build := func(src string, keep bool) ([]string, error) {
		dir, err := os.MkdirTemp("", "structops-vm-module-")
		if err != nil {
			return nil, err
		}
		kos, err := vm.BuildModuleOpts(ctx, k.KDir, src, vm.BuildOptions{Dir: dir, W1: o.w1, Progress: progress, Chroot: k.BuildEnv})
		if err == nil && !keep {
			buildDirs = append(buildDirs, dir)
		}
		return kos, err
	}
	switch sub {
	case "fetch":
		fmt.Fprintf(stdout, "KVER=%s\nKDIR=%s\nVMLINUZ=%s\n", k.Version, k.KDir, k.Vmlinuz)
		return 0
	case "build-module":
		kos, err := build(pos[0], true)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, strings.Join(kos, "\n"))
		return 0
	}
	var kos []string
	for _, dir := range o.modules {
		built, err := build(dir, false)
		if err != nil {
			return fail(err)
		}
		kos = append(kos, built...)
	}
	kos = append(kos, o.kos...)
	res, err := vm.Run(ctx, k, vm.RunSpec{Modules: kos, Files: files, Command: pos, Timeout: o.timeout,
		Accel: o.accel, MemoryMB: o.memory, CPUs: o.cpus, Append: o.appendArgs, NoTrace: o.noTrace}, stdout)
	if err != nil {
		return fail(err)
	}
	return res.ExitCode
}
