// Package scxsimple is a CPU scheduler written in Go: the kernel's
// tools/sched_ext/scx_simple as a sched_ext_ops implementation whose BPF
// programs are assembled with cilium/ebpf/asm and the struct_ops layer
// sasm, loaded and attached by package bpf. No clang, no libbpf.
//
// Like scx_simple it has two modes: a global FIFO, and weighted virtual
// time (each task is charged its run time scaled by the inverse of its
// weight, and the shared queue is ordered by that vtime). select_cpu uses
// the kernel's default idle-CPU selection and, when the CPU it picks is
// idle, inserts the task straight into that CPU's local queue (a "local"
// dispatch); every other task goes through enqueue into the shared queue
// (a "global" dispatch), which dispatch moves to the local queue of the
// CPU that asks. Both are counted per CPU in the map "stats". exit records
// the kernel's struct scx_exit_info (kind, exit code, reason and message)
// into the map "uei", which the loader prints when the kernel ejects the
// scheduler.
//
// Run it (as root, on a kernel with CONFIG_SCHED_CLASS_EXT, e.g. Debian's
// 7.3; structops-vm --series 7.3 boots one):
//
//	go run ./examples/scxsimple/cmd/scxsimple --once --stats
package scxsimple
