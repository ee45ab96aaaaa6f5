package asm_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
)

type entry struct {
	Calls uint64
	Last  int32
	Flags uint16
	Small uint8
	_     uint8
}

var (
	counts = sasm.NewMap[uint32, uint64]("counts", ebpf.PerCPUArray, 16)
	byPID  = sasm.NewMap[uint64, entry]("by_pid", ebpf.Hash, 1024)
	events = sasm.NewRingBuf[entry]("events", 1<<16)
)

// clangSizes are the instruction counts clang -O2 (-target bpf, default
// CPU, which never stores an immediate to the stack: BPF_ST is off in its
// code generator) emits for the same C, from its usual output:
//
//	count:  u32 k = 3; u64 *v = bpf_map_lookup_elem(&counts, &k);
//	        if (v) __sync_fetch_and_add(v, 1);
//	        r1 = 3; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4;
//	        r1 = counts ll; call 1; if r0 == 0 goto +2; r1 = 1;
//	        lock *(u64 *)(r0 + 0) += r1                               9
//	lookup: bpf_map_lookup_elem(&m, &k), k on the stack:
//	        r2 = r10; r2 += -8; r1 = m ll; call 1                     4
//	update: bpf_map_update_elem(&m, &k, &v, BPF_ANY), both on the stack:
//	        r2 = r10; r2 += -8; r3 = r10; r3 += -24; r1 = m ll;
//	        r4 = 0; call 2                                            7
//	delete: bpf_map_delete_elem(&m, &k): r2 = r10; r2 += -8;
//	        r1 = m ll; call 3                                         4
//	add:    __sync_fetch_and_add(&v->calls, n), n in a register:
//	        lock *(u64 *)(r0 + 0) += r1                               1
//	reserve: bpf_ringbuf_reserve(&rb, sizeof(*e), 0):
//	        r1 = rb ll; r2 = 16; r3 = 0; call 131                     4
//	submit: bpf_ringbuf_submit(e, 0), e in r6: r1 = r6; r2 = 0;
//	        call 132                                                  3
//	output: bpf_ringbuf_output(&rb, &e, sizeof(e), 0), e on the stack:
//	        r2 = r10; r2 += -24; r1 = rb ll; r3 = 16; r4 = 0;
//	        call 130                                                  6
//
// (an ld_imm64 counts as one instruction of two slots on both sides).
var clangSizes = map[string]int{
	"count": 9, "lookup": 4, "update": 7, "delete": 4, "add": 1, "reserve": 4, "submit": 3, "output": 6,
}

// TestMapSizes: every helper is at most as long as clang's code for the
// same C, and the constant-key count is one shorter (the key is stored as
// an immediate).
func TestMapSizes(t *testing.T) {
	ours := map[string]asm.Instructions{
		"count":   counts.Count(3, -4),
		"lookup":  byPID.Lookup(-8),
		"update":  byPID.Update(-8, -24, ebpf.UpdateAny),
		"delete":  byPID.Delete(-8),
		"add":     byPID.Field("Calls").Add(asm.R0, asm.R1),
		"reserve": events.Reserve(),
		"submit":  events.Submit(asm.R6),
		"output":  events.Output(-24),
	}
	want := map[string]int{"count": 8, "lookup": 4, "update": 7, "delete": 4, "add": 1, "reserve": 4, "submit": 3, "output": 6}
	for name, insns := range ours {
		if len(insns) != want[name] {
			t.Errorf("%s: %d instructions, want %d:\n%v", name, len(insns), want[name], insns)
		}
		if len(insns) > clangSizes[name] {
			t.Errorf("%s: %d instructions, clang -O2 needs %d", name, len(insns), clangSizes[name])
		}
	}
}

// The map helpers leave the map on the ld_imm64 for the loader: its
// Reference is the map's name and MapDefOf returns the declaration.
func TestMapReference(t *testing.T) {
	insns := counts.Count(3, -4)
	var found int
	for _, ins := range insns {
		d, ok := sasm.MapDefOf(ins)
		if !ok {
			continue
		}
		found++
		if d != counts.MapDef || ins.Reference() != "counts" || !ins.IsLoadFromMap() || ins.Src != asm.PseudoMapFD {
			t.Errorf("map load %v: def %v, reference %q", ins, d.Name, ins.Reference())
		}
	}
	if found != 1 {
		t.Errorf("%d map loads in Count, want 1", found)
	}
	// the key is an immediate 4-byte store at fp-4, the add a 64-bit atomic
	if k := insns[0]; k.OpCode != asm.StoreImmOp(asm.Word) || k.Dst != asm.RFP || k.Offset != -4 || k.Constant != 3 {
		t.Errorf("key store: %v", k)
	}
	last := insns[len(insns)-1]
	if last.OpCode != asm.AddAtomic.OpCode(asm.DWord) || last.Dst != asm.R0 || last.Src != asm.R1 || last.Offset != 0 {
		t.Errorf("add: %v", last)
	}
}

func TestMapFields(t *testing.T) {
	for _, c := range []struct {
		name      string
		off, size int
		signed    bool
	}{{"Calls", 0, 8, false}, {"Last", 8, 4, true}, {"Flags", 12, 2, false}, {"Small", 14, 1, false}} {
		f := byPID.Field(c.name)
		if f.Offset != c.off || f.Size != c.size || f.Signed != c.signed {
			t.Errorf("Field(%s) = %+v, want offset %d size %d signed %v", c.name, f, c.off, c.size, c.signed)
		}
	}
	if ins := byPID.Field("Last").Load(asm.R3, asm.R0)[0]; ins.OpCode.Mode() != asm.MemSXMode || ins.Offset != 8 {
		t.Errorf("Load Last: %v, want a sign-extending load at 8", ins)
	}
	if ins := events.Field("Flags").StoreImm(asm.R6, 7)[0]; ins.OpCode != asm.StoreImmOp(asm.Half) || ins.Offset != 12 || ins.Constant != 7 {
		t.Errorf("StoreImm Flags: %v", ins)
	}
}

// Misuse known while building the programs panics with the map, offset and
// size in the message.
func TestMapMisuse(t *testing.T) {
	sized := sasm.NewMapSized("raw", ebpf.Hash, 12, 6, 8)
	for _, c := range []struct {
		what, want string
		f          func()
	}{
		{"unknown field", "map by_pid: Field(\"Nope\"): value type asm_test.entry has no field Nope", func() { byPID.Field("Nope") }},
		{"offset past value", "map by_pid: At: offset 16, 8 bytes, is past the 16-byte value", func() { byPID.At(16, 8) }},
		{"misaligned", "offset 6 is not 4-aligned", func() { byPID.At(6, 4) }},
		{"narrow atomic", "map by_pid value field Flags (offset 12, 2 bytes): Add: atomic adds are 4 or 8 bytes wide, the field is 2", func() { byPID.Field("Flags").Add(asm.R0, asm.R1) }},
		{"sized map field", "map raw: Field(\"x\"): declared by size", func() { sized.Field("x") }},
		{"key of wrong size", "map raw: key 1: the key is 12 bytes, not an integer", func() { sized.StoreKey(-16, 1) }},
		{"key too large", "map counts: key 4294967296 does not fit the 4-byte key", func() { counts.StoreKey(-4, 1<<32) }},
		{"index out of range", "map counts: key 16: index out of range: the array has 16 entries", func() { counts.StoreKey(-4, 16) }},
		{"key off the stack", "map by_pid: Lookup key: stack range fp-4, 8 bytes", func() { byPID.Lookup(-4) }},
		{"value off the stack", "map by_pid: Update value: stack range fp-520, 16 bytes", func() { byPID.Update(-8, -520, 0) }},
		{"delete on array", "map counts: Delete: the entries of a PerCPUArray always exist", func() { counts.Delete(-4) }},
		{"ring lookup", "ring buffer events: Lookup works on maps with keys", func() { events.Lookup(-8) }},
		{"long name", "map a_very_long_map_name: the name has 20 characters, the kernel keeps 15", func() {
			sasm.NewMap[uint32, uint64]("a_very_long_map_name", ebpf.Array, 1)
		}},
		{"array key", "map idx: Array keys are 4-byte indexes (uint32), not 8 bytes", func() { sasm.NewMap[uint64, uint64]("idx", ebpf.Array, 1) }},
		{"padding", "value type struct { A uint32; B uint64 } has 4 bytes of implicit padding", func() {
			sasm.NewMap[uint32, struct {
				A uint32
				B uint64
			}]("pad", ebpf.Hash, 1)
		}},
		{"pointer", "value type *int has no fixed size", func() { sasm.NewMap[uint32, *int]("ptr", ebpf.Hash, 1) }},
		{"per-CPU too large", "map big: 40000-byte values: a per-CPU value is at most 32768 bytes", func() {
			sasm.NewMap[uint32, [40000]byte]("big", ebpf.PerCPUArray, 1)
		}},
		{"ring size", "ring buffer rb: size 5000 bytes: the kernel wants a power of 2 and a multiple of the 4096-byte page (e.g. 8192)", func() {
			sasm.NewRingBuf[uint64]("rb", 5000)
		}},
		{"kind", "map q: kind Queue: declare an Array", func() { sasm.NewMapSized("q", ebpf.Queue, 0, 8, 4) }},
	} {
		mustPanic(t, c.what, c.want, c.f)
	}
}

// A fetch-add carries BPF_FETCH in its imm when marshalled (cilium/ebpf
// v0.22 drops it from an instruction built with asm.FetchAdd.Mem alone),
// a plain add does not.
func TestAtomicEncoding(t *testing.T) {
	for _, c := range []struct {
		insns asm.Instructions
		imm   uint32
	}{
		{byPID.Field("Calls").FetchAdd(asm.R6, asm.R7), 0x01}, // BPF_ADD | BPF_FETCH
		{byPID.Field("Calls").Add(asm.R6, asm.R7), 0x00},      // BPF_ADD
	} {
		var buf bytes.Buffer
		if err := c.insns.Marshal(&buf, binary.LittleEndian); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if b[0] != 0xdb || binary.LittleEndian.Uint32(b[4:]) != c.imm {
			t.Errorf("%v: % x, want opcode 0xdb (stx atomic dw) and imm %#x", c.insns[0], b, c.imm)
		}
	}
}

// Call counting costs 10 instructions per call with a per-CPU array (a
// lookup: clang's 9 plus saving and restoring the ctx), 3 with a global
// (clang: r1 = counts ll; r2 = 1; lock *(u64 *)(r1 + 8*i) += r2).
func TestCallCountsSize(t *testing.T) {
	per := sasm.NewCallCounts("calls", "a", "b")
	glob := sasm.NewGlobalCallCounts("gcalls", "a", "b")
	if n := len(per.Count("b")); n != 10 {
		t.Errorf("per-CPU Count: %d instructions, want 10", n)
	}
	insns := glob.Count("b")
	if len(insns) != 3 || insns[2].Offset != 8 {
		t.Errorf("global Count: %v, want 3 instructions adding at offset 8", insns)
	}
	mustPanic(t, "unknown member", "call counts calls: no member c (members: [a b])", func() { per.Count("c") })
	mustPanic(t, "twice", "member a appears twice", func() { sasm.NewCallCounts("x", "a", "a") })
}

// BenchmarkMapSizes reports, per map helper, its instructions and 8-byte
// slots next to clang -O2's instruction count for the same C (clangSizes).
// call-count and call-count-global are what counting adds to each
// callback of a generated stack (CallCounts.Count of NewCallCounts and of
// NewGlobalCallCounts). It measures nothing: each sub-benchmark only
// reports.
func BenchmarkMapSizes(b *testing.B) {
	calls := sasm.NewCallCounts("calls", "a")
	global := sasm.NewGlobalCallCounts("calls", "a")
	for _, c := range []struct {
		name  string
		insns asm.Instructions
	}{
		{"count", counts.Count(3, -4)},
		{"lookup", byPID.Lookup(-8)},
		{"update", byPID.Update(-8, -24, ebpf.UpdateAny)},
		{"delete", byPID.Delete(-8)},
		{"add", byPID.Field("Calls").Add(asm.R0, asm.R1)},
		{"reserve", events.Reserve()},
		{"submit", events.Submit(asm.R6)},
		{"output", events.Output(-24)},
		{"call-count", calls.Count("a")},
		{"call-count-global", global.Count("a")},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportMetric(float64(len(c.insns)), "insns")
			b.ReportMetric(float64(slots(c.insns)), "slots")
			if n, ok := clangSizes[c.name]; ok {
				b.ReportMetric(float64(n), "clang-insns")
			}
		})
	}
}
