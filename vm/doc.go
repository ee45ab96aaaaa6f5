// Package vm boots a Debian kernel in qemu to test kernel modules that
// define BPF struct_ops types, which the host kernel cannot load.
//
// The flow, as used by cmd/structops-vm and end-to-end tests:
//
//	k, err := vm.Prepare(ctx, vm.Config{})                   // Debian 6.12 kernel, cached
//	kos, err := vm.BuildModule(ctx, k.KDir, "out/module")    // make -C KDIR M=<copy>; needs .BTF
//	res, err := vm.Run(ctx, k, vm.RunSpec{
//		Modules: kos,                                       // loaded in order, BTF checked
//		Files:   []vm.File{{HostPath: "out/loader", GuestPath: "/bin/loader"}},
//		Command: []string{"/bin/loader", "--once"},
//	}, os.Stdout)                                          // serial console streamed here
//	// res.ExitCode is the guest command's status; err is non-nil if the VM
//	// did not report one (boot failure, module load failure, timeout).
//
// Prepare downloads, on first use only, the newest
// linux-headers-<series>.N+deb12-amd64 of bookworm-backports or
// bookworm-security with its -common and kbuild packages and the matching
// linux-image (of which only vmlinuz and config are kept), using
// apt-get with a private configuration in the cache dir whose sources are
// derived from the host's /etc/apt/sources.list.d/*.sources. The headers
// ship a BTF-only vmlinux, so modules built against them get module BTF.
//
// Run packs an initramfs (Initramfs: reproducible gzip'd newc cpio) with
// an /init running package vm/guest (the running executable after
// UseExecutableAsInit, with its shared objects if it is dynamically linked,
// see SelfInit; else InitBinary), the modules, the files and the command,
// and boots it with qemu-system-x86_64 under TCG, or KVM when a one-time
// probe (cached in the cache dir) shows that KVM works. The
// init streams the command's output, the kernel log ("kmsg: ") and the
// trace_pipe ("trace: ", bpf_printk output) to the console and ends with
// the guest.Marker line, from which Run takes the exit status.
//
// Host tools: qemu-system-x86 (qemu-system-x86_64), make, gcc-12 (the
// compiler the Debian kernel was built with), dwarves (pahole, for module
// BTF), apt-get and dpkg-deb, and the Go toolchain for InitBinary and
// BuildGo. BuildModuleCached keeps module builds by content in the cache
// dir; CheckGuestFile, CheckModuleDir and CheckGoProgram check inputs
// before anything is built.
package vm
