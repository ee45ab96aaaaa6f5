package bpf

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/internal/btfx"
)

// schedBTF builds a small kernel BTF: enum scx_ops_flags with two flags,
// their mask and an internal mask, and two kfuncs whose names differ only
// by a "___flavor" suffix. It returns it decoded by cilium/ebpf and as
// the raw blob Load scans.
func schedBTF(t *testing.T) (*btf.Spec, *btfx.Raw) {
	t.Helper()
	enum := &btf.Enum{Name: "scx_ops_flags", Size: 8, Values: []btf.EnumValue{
		{Name: "SCX_OPS_KEEP_BUILTIN_IDLE", Value: 1},
		{Name: "SCX_OPS_ENQ_LAST", Value: 2},
		{Name: "SCX_OPS_ALL_FLAGS", Value: 3},
		{Name: "__SCX_OPS_INTERNAL_MASK", Value: 0xff << 56},
		{Name: "SCX_OPS_HAS_CPU_PREEMPT", Value: 1 << 56},
	}}
	proto := &btf.FuncProto{Return: &btf.Void{}}
	b, err := btf.NewBuilder([]btf.Type{enum,
		&btf.Func{Name: "scx_bpf_dsq_insert", Type: proto, Linkage: btf.GlobalFunc},
		&btf.Func{Name: "scx_bpf_dsq_insert___v2_impl", Type: proto, Linkage: btf.GlobalFunc},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.Marshal(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	r, err := btfx.Parse(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return spec, r
}

var schedOps = &Ops{Name: "sched_ext_ops", Size: 512, Members: []Member{
	{Name: "dispatch", Offset: 24, Size: 8, Func: true},
	{Name: "init", Offset: 288, Size: 8, Func: true, Sleepable: true},
	{Name: "flags", Offset: 312, Size: 8},
	{Name: "timeout_ms", Offset: 320, Size: 4},
	{Name: "name", Offset: 360, Size: 128},
}, Data: map[string][]byte{"name": []byte("t")}}

func schedProgs() map[string]asm.Instructions {
	ret := asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}
	return map[string]asm.Instructions{"dispatch": ret, "init": ret}
}

// TestSleepable checks a Sleepable member's program gets BPF_F_SLEEPABLE
// and no other does.
func TestSleepable(t *testing.T) {
	spec, err := Spec(schedOps, schedProgs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := spec.Programs["init"].Flags; f != unix.BPF_F_SLEEPABLE {
		t.Errorf("init flags %#x, want BPF_F_SLEEPABLE", f)
	}
	if f := spec.Programs["dispatch"].Flags; f != 0 {
		t.Errorf("dispatch flags %#x, want 0", f)
	}
}

// TestEnumFlags checks sched_ext_ops.flags against the kernel's enum (read
// by cilium/ebpf, and by the raw scan Load does): its bits pass, others
// (and the internal ones) are refused naming the enum.
func TestEnumFlags(t *testing.T) {
	kernel, raw := schedBTF(t)
	enums := enumNames(schedOps)
	if len(enums) != 1 || enums[0] != "scx_ops_flags" {
		t.Fatalf("enumNames: %q, want scx_ops_flags", enums)
	}
	w := kernelWants{value: "bpf_struct_ops_sched_ext_ops", enums: enums}
	ids, err := raw.Lookup(w.list())
	if err != nil {
		t.Fatal(err)
	}
	lk := &kernelLookup{enums: map[string]btfx.TypeID{}}
	w.record(lk, ids, "")
	if lk.enums["scx_ops_flags"] == 0 {
		t.Fatal("the raw scan finds no enum64 scx_ops_flags")
	}
	flags := func(v uint64) *Options {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, v)
		return &Options{Data: map[string][]byte{"flags": b}}
	}
	for _, tc := range []struct {
		v    uint64
		want string
	}{
		{0, ""}, {1, ""}, {3, ""},
		{4, "bits 0x4 are not allowed (allowed: 0x3: SCX_OPS_KEEP_BUILTIN_IDLE 0x1, SCX_OPS_ENQ_LAST 0x2)"},
		{1 << 56, "bits 0x100000000000000 are not allowed"},
	} {
		spec, err := Spec(schedOps, schedProgs(), flags(tc.v))
		if err != nil {
			t.Fatalf("flags %#x: Spec: %v", tc.v, err)
		}
		for view, enums := range map[string]enumValues{"cilium": specEnums(kernel), "raw": rawEnums(raw, lk.enums)} {
			err = checkEnumData(schedOps, spec, enums)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s: flags %#x: %v", view, tc.v, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "enum scx_ops_flags")):
				t.Errorf("%s: flags %#x: error %v, want one saying %q and naming the enum", view, tc.v, err, tc.want)
			}
		}
	}
}

// TestKernelFuncExact checks kfuncs are found by their exact name, though
// cilium/ebpf's TypeByName also matches the ___flavor twin, by kernelFunc
// (the cilium/ebpf path) and by the raw scan (Load).
func TestKernelFuncExact(t *testing.T) {
	spec, raw := schedBTF(t)
	fn, err := kernelFunc(spec, "scx_bpf_dsq_insert")
	if err != nil || fn.Name != "scx_bpf_dsq_insert" {
		t.Fatalf("kernelFunc: %v, %v", fn, err)
	}
	if _, err := kernelFunc(spec, "scx_bpf_dispatch"); !errors.Is(err, btf.ErrNotFound) {
		t.Fatalf("missing kfunc: %v, want ErrNotFound", err)
	}
	progs := map[string]asm.Instructions{"dispatch": sasm.Seq(sasm.Kfunc("scx_bpf_dsq_insert"), asm.Instructions{asm.Return()})}
	cs, err := Spec(schedOps, progs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := resolveKernelRefs(schedOps, cs, spec, spec); err != nil {
		t.Fatal(err)
	}
	id, _ := spec.TypeID(fn)
	if got := cs.Programs["dispatch"].Instructions[0].Constant; got != int64(id) {
		t.Errorf("kfunc call resolved to BTF id %d, want %d", got, id)
	}
	ids, err := raw.Lookup([]btfx.Want{{Kind: btfx.KindFunc, Name: "scx_bpf_dsq_insert"}, {Kind: btfx.KindFunc, Name: "scx_bpf_dispatch"}})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != btfx.TypeID(id) || ids[1] != 0 {
		t.Errorf("raw scan: scx_bpf_dsq_insert %d, scx_bpf_dispatch %d; want %d and 0", ids[0], ids[1], id)
	}
}

// TestSchedExtState reads the state files and waits for a state.
func TestSchedExtState(t *testing.T) {
	dir := t.TempDir()
	old := SchedExtDir
	SchedExtDir = dir
	defer func() { SchedExtDir = old }()
	if _, err := SchedExtState(); err == nil || !strings.Contains(err.Error(), "CONFIG_SCHED_CLASS_EXT") {
		t.Errorf("no sched_ext: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "state"), []byte("disabled\n"), 0o644)
	if ops, err := SchedExtRootOps(); ops != "" || err != nil {
		t.Errorf("no root: %q, %v", ops, err)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		os.MkdirAll(filepath.Join(dir, "root"), 0o755)
		os.WriteFile(filepath.Join(dir, "root", "ops"), []byte("gosimple\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "state"), []byte("enabled\n"), 0o644)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, err := WaitSchedExtState(ctx, "enabled"); s != "enabled" || err != nil {
		t.Fatalf("wait: %q, %v", s, err)
	}
	if ops, err := SchedExtRootOps(); ops != "gosimple" || err != nil {
		t.Errorf("root/ops: %q, %v", ops, err)
	}
	if s, err := WaitSchedExtState(ctx, "disabled", "enabled"); err == nil {
		t.Errorf("wait for disabled stopped at enabled: %q, no error", s)
	}
}

func TestSchedExtExit(t *testing.T) {
	e := SchedExtExit{Kind: 1026, Reason: "runnable task stall", Msg: "kworker/0:1[8] failed to run for 1.5s"}
	if got, want := e.String(), "SCX_EXIT_ERROR_STALL (1026): runnable task stall: kworker/0:1[8] failed to run for 1.5s"; got != want || !e.Error() {
		t.Errorf("%q (error %v), want %q", got, e.Error(), want)
	}
	if u := (SchedExtExit{Kind: 64, Reason: "unregistered from user space"}); u.Error() || u.KindName() != "SCX_EXIT_UNREG" {
		t.Errorf("%v: error %v", u, u.Error())
	}
}
