package asm_test

// Tests against the real verifier and BPF_PROG_TEST_RUN, through the
// built-in struct_ops type bpf_dummy_ops (net/bpf/bpf_dummy_struct_ops.c):
//
//	struct bpf_dummy_ops_state { int val; };
//	int (*test_1)(struct bpf_dummy_ops_state *cb);
//	int (*test_2)(struct bpf_dummy_ops_state *cb, int a1, unsigned short a2, char a3, unsigned long a4);
//
// The kernel calls the program through a variadic function pointer with the
// five u64 of the test-run ctx, so garbage in a slot's upper bits reaches
// the program as it is. args[0] != 0 becomes a pointer to the kernel's copy
// of the state. The test-run result is the low 32 bits of R0.

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpftestmodops"
)

var sigDummy2 = sasm.Sig{Name: "test_2", Return: sasm.S32,
	Args: []sasm.Type{sasm.Ptr, sasm.S32, sasm.U16, sasm.S8, sasm.U64}}

// dummyState is struct bpf_dummy_ops_state. It is a global so its address,
// handed to the kernel as a u64, cannot move.
var dummyState struct{ val int32 }

// needBPF skips the test unless it runs as root on a kernel with
// bpf_dummy_ops.
func needBPF(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (loads struct_ops programs)")
	}
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	var st *btf.Struct
	if err := spec.TypeByName("bpf_dummy_ops", &st); err != nil {
		t.Skipf("kernel has no struct bpf_dummy_ops: %v", err)
	}
}

// loadDummy loads the programs as bpf_dummy_ops:<member> programs.
func loadDummy(t *testing.T, member map[string]string, progs map[string]asm.Instructions) map[string]*ebpf.Program {
	t.Helper()
	return loadOps(t, "bpf_dummy_ops", member, progs)
}

// loadOps loads the programs as <ops>:<member> programs in one collection,
// with the .rodata that Link makes of their strings.
func loadOps(t *testing.T, ops string, member map[string]string, progs map[string]asm.Instructions) map[string]*ebpf.Program {
	t.Helper()
	rodata, err := sasm.Link(progs)
	if err != nil {
		t.Fatalf("Link: %v", err)
	}
	spec := &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{}, Programs: map[string]*ebpf.ProgramSpec{}}
	for name, insns := range progs {
		spec.Programs[name] = &ebpf.ProgramSpec{
			Name:         name,
			Type:         ebpf.StructOps,
			AttachTo:     ops + ":" + member[name],
			License:      "GPL",
			Instructions: insns,
		}
	}
	if rodata != nil {
		spec.Maps[sasm.RodataMap] = &ebpf.MapSpec{
			Name:       sasm.RodataMap,
			Type:       ebpf.Array,
			KeySize:    4,
			ValueSize:  uint32(len(rodata)),
			MaxEntries: 1,
			Flags:      0x80, // BPF_F_RDONLY_PROG
			Contents:   []ebpf.MapKV{{Key: uint32(0), Value: rodata}},
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("load: %+v", ve)
		}
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(coll.Close)
	return coll.Programs
}

func run(t *testing.T, p *ebpf.Program, ctx ...uint64) uint32 {
	t.Helper()
	ret, err := p.Run(&ebpf.RunOptions{Context: ctx})
	runtime.KeepAlive(&dummyState)
	if err != nil {
		t.Fatalf("BPF_PROG_TEST_RUN: %v", err)
	}
	return ret
}

func statePtr() uint64 { return uint64(uintptr(unsafe.Pointer(&dummyState))) }

// TestKernelArgWidths loads every argument of bpf_dummy_ops.test_2 with
// Sig.Arg and checks the low and the high 32 bits of the 64-bit value with
// garbage in the slots' upper bits.
func TestKernelArgWidths(t *testing.T) {
	needBPF(t)
	progs := map[string]asm.Instructions{}
	member := map[string]string{}
	for n := 1; n < len(sigDummy2.Args); n++ {
		lo := fmt.Sprintf("arg%d_lo", n)
		hi := fmt.Sprintf("arg%d_hi", n)
		progs[lo] = sasm.Seq(sigDummy2.Arg(asm.R0, n), asm.Instructions{asm.Return()})
		progs[hi] = sasm.Seq(sigDummy2.Arg(asm.R0, n), asm.Instructions{
			asm.RSh.Imm(asm.R0, 32), // r0 = upper half of the 64-bit value
			asm.Return(),
		})
		member[lo], member[hi] = "test_2", "test_2"
	}
	// the ctx pointer in another register
	progs["from_r9"] = sasm.Seq(asm.Instructions{asm.Mov.Reg(asm.R9, asm.R1)}, sigDummy2.ArgFrom(asm.R0, asm.R9, 3), asm.Instructions{asm.Return()})
	member["from_r9"] = "test_2"
	p := loadDummy(t, member, progs)

	ctx := []uint64{statePtr(), 0xdeadbeef_fffffff9, 0x12345678_ffff0005, 0xdeadbeef_cafe1280, 0x89abcdef_01234567}
	want := map[string]uint32{
		"arg1_lo": 0xfffffff9, "arg1_hi": 0xffffffff, // int -7
		"arg2_lo": 5, "arg2_hi": 0, // unsigned short 5
		"arg3_lo": 0xffffff80, "arg3_hi": 0xffffffff, // char -128
		"arg4_lo": 0x01234567, "arg4_hi": 0x89abcdef, // unsigned long as is
		"from_r9": 0xffffff80,
	}
	for name, w := range want {
		if got := run(t, p[name], ctx...); got != w {
			t.Errorf("%s: got %#x, want %#x", name, got, w)
		}
	}
	// positive values stay positive
	ctx = []uint64{statePtr(), 0xffffffff_00000007, 0xffffffff_0000fffe, 0xffffffff_ffffff7f, 0}
	want = map[string]uint32{"arg1_lo": 7, "arg1_hi": 0, "arg2_lo": 0xfffe, "arg2_hi": 0, "arg3_lo": 0x7f, "arg3_hi": 0}
	for name, w := range want {
		if got := run(t, p[name], ctx...); got != w {
			t.Errorf("%s (positive): got %#x, want %#x", name, got, w)
		}
	}
}

// TestKernelRet runs Ret and RetImm of every return type through test_1
// (the result is the low 32 bits of R0).
func TestKernelRet(t *testing.T) {
	needBPF(t)
	const garbage = 0x12345678_9abcde80 // low byte 0x80, low half 0xde80
	cases := []struct {
		name string
		typ  sasm.Type
		want uint32 // of Ret(garbage)
	}{
		{"s8", sasm.S8, 0xffffff80},
		{"u8", sasm.U8, 0x80},
		{"s16", sasm.S16, 0xffffde80},
		{"u16", sasm.U16, 0xde80},
		{"s32", sasm.S32, 0x9abcde80},
		{"u32", sasm.U32, 0x9abcde80},
		{"s64", sasm.S64, 0x9abcde80},
		{"bool", sasm.Bool, 1},
		{"void", sasm.Void, 0},
		{"ptr", sasm.Ptr, 0},
	}
	progs := map[string]asm.Instructions{}
	member := map[string]string{}
	for _, c := range cases {
		s := sasm.Sig{Name: "test_1", Return: c.typ, Args: []sasm.Type{sasm.Ptr}}
		progs["r_"+c.name] = sasm.Seq(asm.Instructions{asm.LoadImm(asm.R6, garbage, asm.DWord)}, s.Ret(asm.R6))
		progs["r0_"+c.name] = sasm.Seq(asm.Instructions{asm.LoadImm(asm.R0, garbage, asm.DWord)}, s.Ret(asm.R0))
		progs["i_"+c.name] = s.RetImm(garbage)
		member["r_"+c.name], member["r0_"+c.name], member["i_"+c.name] = "test_1", "test_1", "test_1"
	}
	sb := sasm.Sig{Name: "test_1", Return: sasm.Bool}
	progs["bool_false"] = sasm.Seq(asm.Instructions{asm.Mov.Imm(asm.R7, 0)}, sb.Ret(asm.R7))
	member["bool_false"] = "test_1"
	p := loadDummy(t, member, progs)
	for _, c := range cases {
		for _, prefix := range []string{"r_", "r0_", "i_"} {
			if got := run(t, p[prefix+c.name], statePtr()); got != c.want {
				t.Errorf("%s%s: got %#x, want %#x", prefix, c.name, got, c.want)
			}
		}
	}
	if got := run(t, p["bool_false"], statePtr()); got != 0 {
		t.Errorf("bool_false: got %d, want 0", got)
	}
}

// TestKernelVerifierHelpers loads programs using every helper wrapper.
// bpf_dummy_ops programs may call no helper at all, so they are loaded as
// tcp_congestion_ops callbacks (verifier only: bpf's TestProgramsRun runs
// the printk helpers and checks what they print).
func TestKernelVerifierHelpers(t *testing.T) {
	needBPF(t)
	mov := func(r asm.Register, v int32) asm.Instruction { return asm.Mov.Imm(r, v) }
	sigInit := sasm.Sig{Name: "init", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr}}
	progs := map[string]asm.Instructions{
		"p3": sasm.Seq(asm.Instructions{mov(asm.R3, 1), mov(asm.R4, 2), mov(asm.R5, 3)},
			sasm.Printk("%d %d %d\n", asm.R5, asm.R3, asm.R4), sigInit.RetImm(0)),
		"pv": sasm.Seq(sasm.ZeroStack(-48, 48), sasm.PrintkStack("%d %d %d %d %d %d\n", -48, 6), sigInit.RetImm(0)),
		"pr": sasm.Seq(sigInit.Arg(asm.R6, 0), sasm.ZeroStack(-16, 16),
			sasm.ProbeReadKernel(-16, 16, asm.R6), // read 16 bytes of the sock
			asm.Instructions{asm.Mov.Reg(asm.R3, asm.RFP), asm.Add.Imm(asm.R3, -16)},
			sasm.Printk("%s %d\n", asm.R3, asm.R6), sigInit.RetImm(0)),
	}
	member := map[string]string{"p3": "init", "pv": "init", "pr": "init"}
	loadOps(t, "tcp_congestion_ops", member, progs)
}

// TestKernelTutorial verifies the generated default stack's programs
// (bpftestmodops, what structops-gen writes for the tutorial) against
// tcp_congestion_ops callbacks with matching argument shapes: test_1 as
// ssthresh, test_3 (const char *buf, int len) as cwnd_event(struct sock *,
// enum tcp_ca_event), and test_2's (int a, int b) as arguments 1 and 2 of
// cong_control(struct sock *, u32 ack, int flag, ...), so its two argument
// loads are moved one slot up (shiftArgs).
func TestKernelTutorial(t *testing.T) {
	needBPF(t)
	progs, err := bpftestmodops.Programs()
	if err != nil {
		t.Fatal(err)
	}
	progs["test_2"] = shiftArgs(t, progs["test_2"], 1)
	loadOps(t, "tcp_congestion_ops", map[string]string{"test_1": "ssthresh", "test_2": "cong_control", "test_3": "cwnd_event"}, progs)
}
