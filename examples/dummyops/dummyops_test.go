package dummyops

import (
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/examples/dummyops/bpfdummyops"
	"github.com/structops/structops-gen/examples/internal/hosttest"
	"github.com/structops/structops-gen/gen"
)

var spec = gen.Spec{BTF: hosttest.VmlinuxBTF, Ops: "bpf_dummy_ops", Members: []string{"test_1", "test_2"}}

func TestGeneratedFilesUpToDate(t *testing.T) {
	hosttest.CheckDrift(t, spec, ".", "github.com/structops/structops-gen/examples/dummyops")
}

// state is struct bpf_dummy_ops_state as the kernel copies it from user
// memory for BPF_PROG_TEST_RUN.
type state struct{ Val int32 }

// run runs a program with BPF_PROG_TEST_RUN: ctx[0] is the address of st
// (NULL when st is nil), the rest are the other arguments.
func run(t *testing.T, p *ebpf.Program, st *state, args ...uint64) int32 {
	t.Helper()
	ctx := []uint64{0}
	if st != nil {
		ctx[0] = uint64(uintptr(unsafe.Pointer(st)))
	}
	ctx = append(ctx, args...)
	ret, err := p.Run(&ebpf.RunOptions{Context: ctx})
	runtime.KeepAlive(st)
	if err != nil {
		t.Fatalf("run %v: %v", ctx, err)
	}
	return int32(ret)
}

// TestPrograms runs the generated default bodies: test_1 returns cb->val,
// 0 for a NULL cb (it is __nullable: the body checks it); test_2 returns
// cb->val + a1 + a2 + a3 + a4 with each argument converted to its C type
// (int, unsigned short, char, unsigned long) and the sum to int.
func TestPrograms(t *testing.T) {
	hosttest.NeedBPF(t)
	progs, err := bpfdummyops.Programs()
	if err != nil {
		t.Fatal(err)
	}
	impl, err := bpf.LoadPrograms(bpfdummyops.Ops, progs, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer impl.Close()
	if err := impl.Attach(); err == nil {
		t.Fatal("Attach of programs loaded without their map succeeded")
	}

	test1 := impl.Program("test_1")
	for _, v := range []int32{0, 1, 42, -7, 1 << 30} {
		if got := run(t, test1, &state{Val: v}); got != v {
			t.Errorf("test_1(&{%d}) = %d, want %d", v, got, v)
		}
	}
	if got := run(t, test1, nil); got != 0 {
		t.Errorf("test_1(NULL) = %d, want 0", got)
	}

	test2 := impl.Program("test_2")
	for _, c := range []struct {
		val            int32
		a1, a2, a3, a4 uint64
	}{
		{0, 1, 2, 3, 4},
		{100, 0xffffffff, 0, 0, 0},                    // a1 = -1 as an int
		{-5, 0x1_0000_0002, 0x1_0003, 0x104, 1 << 33}, // bits above each type's width are dropped
		{7, 1 << 31, 0xffff, 0xff, 0x7fff_ffff},
	} {
		want := int32(int64(c.val) + int64(int32(c.a1)) + int64(uint16(c.a2)) + int64(uint8(c.a3)) + int64(c.a4))
		if got := run(t, test2, &state{Val: c.val}, c.a1, c.a2, c.a3, c.a4); got != want {
			t.Errorf("test_2(&{%d}, %#x, %#x, %#x, %#x) = %d, want %d", c.val, c.a1, c.a2, c.a3, c.a4, got, want)
		}
	}
	// test_2's cb is not __nullable: the kernel refuses to pass it NULL
	if _, err := test2.Run(&ebpf.RunOptions{Context: []uint64{0, 1, 2, 3, 4}}); err == nil {
		t.Errorf("test_2(NULL, ...) ran: the kernel passes NULL only to __nullable arguments")
	}

	// every run above counted itself in the one shared value of Calls
	// (bpf_dummy_ops programs call no helper): 6 of test_1, 4 of test_2
	// (the refused run never started)
	counts, err := impl.CallCounts()
	if err != nil {
		t.Fatal(err)
	}
	want := []bpf.CallCount{{Member: "test_1", Calls: 6}, {Member: "test_2", Calls: 4}}
	if !slices.Equal(counts, want) {
		t.Errorf("call counts %v, want %v", counts, want)
	}
}
