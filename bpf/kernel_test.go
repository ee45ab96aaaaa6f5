package bpf_test

// Host tests of the full path (Spec, Load, Attach, Close) through the
// built-in struct_ops type tcp_congestion_ops. While attached, an
// implementation registers a congestion control under its "name" data
// member, listed in /proc/sys/net/ipv4/tcp_available_congestion_control.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

const availableCC = "/proc/sys/net/ipv4/tcp_available_congestion_control"

// tcpOps is a user-side subset of struct tcp_congestion_ops, laid out our
// own way (members are matched to the kernel's by name).
var tcpOps = &bpf.Ops{
	Name: "tcp_congestion_ops",
	Size: 56,
	Members: []bpf.Member{
		{Name: "ssthresh", Offset: 0, Size: 8, Func: true},
		{Name: "undo_cwnd", Offset: 8, Size: 8, Func: true},
		{Name: "cong_avoid", Offset: 16, Size: 8, Func: true},
		{Name: "init", Offset: 24, Size: 8, Func: true},
		{Name: "name", Offset: 32, Size: 16},
		{Name: "flags", Offset: 48, Size: 4},
	},
}

var (
	sigSsthresh  = sasm.Sig{Name: "ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}
	sigUndoCwnd  = sasm.Sig{Name: "undo_cwnd", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}
	sigCongAvoid = sasm.Sig{Name: "cong_avoid", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.U32, sasm.U32}}
	sigInit      = sasm.Sig{Name: "init", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr}}
)

// minimalCC is a congestion control that keeps cwnd as it is.
func minimalCC() map[string]asm.Instructions {
	return map[string]asm.Instructions{
		"ssthresh":   sigSsthresh.RetImm(10),
		"undo_cwnd":  sigUndoCwnd.RetImm(10),
		"cong_avoid": sigCongAvoid.RetImm(0),
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (loads and attaches struct_ops)")
	}
	if _, err := os.Stat(availableCC); err != nil {
		t.Skipf("no TCP congestion control sysctl: %v", err)
	}
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	var st *btf.Struct
	if err := spec.TypeByName("bpf_struct_ops_tcp_congestion_ops", &st); err != nil {
		t.Skipf("kernel cannot implement tcp_congestion_ops in BPF: %v", err)
	}
}

// ccName is a congestion control name unique to this test process (at most
// 15 characters).
func ccName(tag string) string { return fmt.Sprintf("so%s%d", tag, os.Getpid()%100000) }

func listed(t *testing.T, name string) bool {
	t.Helper()
	b, err := os.ReadFile(availableCC)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		if f == name {
			return true
		}
	}
	return false
}

func load(t *testing.T, name string, progs map[string]asm.Instructions, opts *bpf.Options) *bpf.Impl {
	t.Helper()
	if opts == nil {
		opts = &bpf.Options{}
	}
	if opts.Data == nil {
		opts.Data = map[string][]byte{}
	}
	opts.Data["name"] = []byte(name)
	impl, err := bpf.Load(tcpOps, progs, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { impl.Close() })
	return impl
}

func TestLoadAttachClose(t *testing.T) {
	needRoot(t)
	name := ccName("a")
	impl := load(t, name, minimalCC(), nil)
	if listed(t, name) {
		t.Fatalf("%s listed before Attach", name)
	}
	if err := impl.Attach(); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if !listed(t, name) {
		t.Fatalf("%s not listed in %s while attached", name, availableCC)
	}
	if impl.Program("ssthresh") == nil || impl.Program("init") != nil {
		t.Errorf("Program: ssthresh %v, init %v: want a program and nil", impl.Program("ssthresh"), impl.Program("init"))
	}
	// detach and attach again
	if err := impl.Detach(); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if listed(t, name) {
		t.Fatalf("%s still listed after Detach", name)
	}
	if err := impl.Attach(); err != nil {
		t.Fatalf("second Attach: %v", err)
	}
	if !listed(t, name) {
		t.Fatalf("%s not listed after the second Attach", name)
	}
	if err := impl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if listed(t, name) {
		t.Fatalf("%s still listed after Close", name)
	}
	if err := impl.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if impl.Program("ssthresh") != nil {
		t.Error("Program after Close: want nil")
	}
	if err := impl.Attach(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Attach after Close: %v, want an error saying it is closed", err)
	}
}

func TestAttachTwice(t *testing.T) {
	needRoot(t)
	name := ccName("e")
	first := load(t, name, minimalCC(), nil)
	second := load(t, name, minimalCC(), nil)
	if err := first.Attach(); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	err := second.Attach()
	if !errors.Is(err, unix.EEXIST) || !strings.Contains(err.Error(), "another tcp_congestion_ops implementation is attached") {
		t.Fatalf("second Attach: %v, want EEXIST as 'another tcp_congestion_ops implementation is attached'", err)
	}
}

func TestVerifierRejection(t *testing.T) {
	needRoot(t)
	progs := minimalCC()
	// ssthresh has one argument: reading the 9th is out of bounds
	progs["ssthresh"] = asm.Instructions{
		asm.LoadMem(asm.R0, asm.R1, 64, asm.DWord),
		asm.Return(),
	}
	_, err := bpf.Load(tcpOps, progs, &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("v"))}})
	var ve *ebpf.VerifierError
	if !errors.As(err, &ve) {
		t.Fatalf("Load: %v, want a verifier error", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "rejected callback ssthresh of tcp_congestion_ops") || !strings.Contains(msg, "verifier log") {
		t.Fatalf("error does not name the callback or show the log:\n%s", msg)
	}
	if n := strings.Count(msg, "\n\t"); n == 0 || n > 15 {
		t.Errorf("error shows %d log lines, want 1..15:\n%s", n, msg)
	}
}

func TestMemberMissingInKernel(t *testing.T) {
	needRoot(t)
	ops := *tcpOps
	ops.Members = append(append([]bpf.Member(nil), tcpOps.Members...), bpf.Member{Name: "no_such_cb", Offset: 0, Size: 8, Func: true})
	ops.Members[len(ops.Members)-1].Offset = 0 // layout overlap is not checked: only names matter to the kernel
	ops.Size = 56
	progs := minimalCC()
	progs["no_such_cb"] = sigSsthresh.RetImm(1)
	_, err := bpf.Load(&ops, progs, &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("m"))}})
	if err == nil || !strings.Contains(err.Error(), "has no callback no_such_cb") {
		t.Fatalf("Load: %v, want an error naming the missing callback no_such_cb", err)
	}
	// a data member whose size differs from the kernel's
	ops = *tcpOps
	ops.Members = append([]bpf.Member(nil), tcpOps.Members...)
	ops.Members[5].Size = 8 // flags is a u32
	_, err = bpf.Load(&ops, minimalCC(), &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("m")), "flags": {0}}})
	if err == nil || !strings.Contains(err.Error(), "flags is 4 bytes in the kernel, 8 in the spec") {
		t.Fatalf("Load: %v, want a size mismatch of flags", err)
	}
}

func TestModuleNotLoaded(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/btf/bpf_testmod"); err == nil {
		t.Skip("bpf_testmod is loaded on this machine")
	}
	ops := &bpf.Ops{Name: "bpf_testmod_ops", Module: "bpf_testmod", Size: 24, Members: []bpf.Member{
		{Name: "test_1", Offset: 0, Size: 8, Func: true},
	}}
	_, err := bpf.Load(ops, map[string]asm.Instructions{"test_1": {asm.Mov.Imm(asm.R0, 42), asm.Return()}}, nil)
	want := "struct_ops type bpf_testmod_ops not found in any loaded module's BTF: load the module first: insmod OUT/module/bpf_testmod.ko (OUT: the directory structops-gen wrote)"
	if err == nil || err.Error() != want {
		t.Fatalf("Load: %v, want %q", err, want)
	}
	// a type read from a module's BTF names the module, not a build
	ops.NoTrigger = true
	_, err = bpf.Load(ops, map[string]asm.Instructions{"test_1": {asm.Mov.Imm(asm.R0, 42), asm.Return()}}, nil)
	want = "struct_ops type bpf_testmod_ops not found in any loaded module's BTF: load module bpf_testmod first"
	if err == nil || err.Error() != want {
		t.Fatalf("Load: %v, want %q", err, want)
	}
}

// TestLoadFindsDefiningModule: the kernel defines a type where the spec
// did not say (here a spec naming a module for tcp_congestion_ops, which
// vmlinux defines): Load checks against and loads into where the kernel
// has it, as cilium/ebpf creates the map there, and Module names it.
func TestLoadFindsDefiningModule(t *testing.T) {
	needRoot(t)
	ops := *tcpOps
	ops.Module = "no_such_module"
	impl, err := bpf.Load(&ops, minimalCC(), &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("d"))}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer impl.Close()
	if m := impl.Module(); m != "" {
		t.Errorf("Module() = %q, want \"\" (vmlinux)", m)
	}
	impl, err = bpf.Load(tcpOps, minimalCC(), &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("e"))}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer impl.Close()
	if m := impl.Module(); m != "" {
		t.Errorf("Module() = %q for a vmlinux type", m)
	}
}

// TestProgramsRun attaches an init callback that runs the printk helpers
// and stores what they return (the length of the formatted text) in a
// results map, then opens a TCP connection with the congestion control so
// the kernel calls init.
func TestProgramsRun(t *testing.T) {
	needRoot(t)
	name := ccName("p")
	const slots = 6
	results := &ebpf.MapSpec{Name: "results", Type: ebpf.Array, KeySize: 4, ValueSize: 8 * slots, MaxEntries: 1}
	save := func(slot int16) asm.Instructions {
		return asm.Instructions{asm.StoreMem(asm.R6, 8*slot, asm.R0, asm.DWord)} // results[slot] = r0
	}
	mov := func(r asm.Register, v int32) asm.Instruction { return asm.Mov.Imm(r, v) }
	init := sasm.Seq(
		asm.Instructions{asm.LoadMapValue(asm.R6, 0, 0).WithReference("results")}, // r6 = &results[0]
		// three args rotated so the moves into R3..R5 form a cycle; the
		// values give each of the 6 orders a different length
		asm.Instructions{mov(asm.R3, 0x4142), mov(asm.R4, 0x41424344), mov(asm.R5, 0x41)},
		sasm.Printk("%x|%d|%c\n", asm.R5, asm.R3, asm.R4), save(0),
		// the same from callee-saved registers
		asm.Instructions{mov(asm.R7, 0x4142), mov(asm.R8, 0x41424344), mov(asm.R9, 0x41)},
		sasm.Printk("%x|%d|%c\n", asm.R9, asm.R7, asm.R8), save(1),
		sasm.Printk("no args\n"), save(2),
		// five values on the stack: bpf_trace_vprintk
		asm.Instructions{
			mov(asm.R1, 1), asm.StoreMem(asm.RFP, -40, asm.R1, asm.DWord),
			mov(asm.R1, 22), asm.StoreMem(asm.RFP, -32, asm.R1, asm.DWord),
			mov(asm.R1, 333), asm.StoreMem(asm.RFP, -24, asm.R1, asm.DWord),
			mov(asm.R1, 4444), asm.StoreMem(asm.RFP, -16, asm.R1, asm.DWord),
			mov(asm.R1, 'x'), asm.StoreMem(asm.RFP, -8, asm.R1, asm.DWord),
		},
		sasm.PrintkStack("%d %d %d %d %c\n", -40, 5), save(3),
		// %s of a stack copy of a kernel string: the congestion control's own name
		sasm.ZeroStack(-64, 24),
		asm.Instructions{mov(asm.R1, 0)},              // r1 = 0 (probe_read_kernel of NULL fails)
		sasm.ProbeReadKernel(-64, 8, asm.R1), save(4), // a negative errno
		asm.Instructions{mov(asm.R2, 0x7261), asm.StoreMem(asm.RFP, -64, asm.R2, asm.Half)}, // "ar"
		asm.Instructions{asm.Mov.Reg(asm.R3, asm.RFP), asm.Add.Imm(asm.R3, -64)},
		sasm.Printk("[%s]\n", asm.R3), save(5),
		sigInit.RetImm(0),
	)
	progs := minimalCC()
	progs["init"] = init
	impl := load(t, name, progs, &bpf.Options{Maps: map[string]*ebpf.MapSpec{"results": results}})
	if err := impl.Attach(); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	connect(t, name)

	raw := make([]byte, 8*slots)
	if err := impl.Map("results").Lookup(uint32(0), &raw); err != nil {
		t.Fatalf("lookup results: %v", err)
	}
	got := make([]int64, slots)
	for i := range got {
		got[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	want := map[int]string{
		0: fmt.Sprintf("%x|%d|%c\n", 0x41, 0x4142, 'D'),
		1: fmt.Sprintf("%x|%d|%c\n", 0x41, 0x4142, 'D'),
		2: "no args\n",
		3: "1 22 333 4444 x\n",
		5: "[ar]\n",
	}
	for i, w := range want {
		if got[i] != int64(len(w)) {
			t.Errorf("printk %d wrote %d bytes, want %d (%q)", i, got[i], len(w), w)
		}
	}
	if got[4] >= 0 {
		t.Errorf("bpf_probe_read_kernel(NULL) = %d, want a negative errno", got[4])
	}
}

// connect opens a loopback TCP connection with congestion control cc.
func connect(t *testing.T, cc string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
		}); err != nil {
			return err
		}
		return serr
	}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial with TCP_CONGESTION=%s: %v", cc, err)
	}
	c.Close()
}
