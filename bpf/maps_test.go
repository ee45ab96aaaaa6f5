package bpf_test

// Host tests of declared maps: bpf_dummy_ops programs run with
// BPF_PROG_TEST_RUN update maps the Go side reads; a tcp_congestion_ops
// hot swap keeps them.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

// dummyOps is struct bpf_dummy_ops as the loader sees it.
var dummyOps = &bpf.Ops{
	Name: "bpf_dummy_ops",
	Size: 24,
	Members: []bpf.Member{
		{Name: "test_1", Offset: 0, Size: 8, Func: true, Sig: &sigTest1},
		{Name: "test_2", Offset: 8, Size: 8, Func: true, Sig: &sigTest2},
		{Name: "test_sleepable", Offset: 16, Size: 8, Func: true},
	},
}

var (
	sigTest1 = sasm.Sig{Name: "test_1", Return: sasm.S32, Args: []sasm.Type{sasm.Ptr}}
	sigTest2 = sasm.Sig{Name: "test_2", Return: sasm.S32, Args: []sasm.Type{sasm.Ptr, sasm.S32, sasm.U16, sasm.U8, sasm.U64}}
	stateVal = sasm.Field{Struct: "bpf_dummy_ops_state", Member: "val", Offset: 0, Size: 4, Signed: true}
)

func needDummyOps(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (loads BPF programs and maps)")
	}
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	var st *btf.Struct
	if err := spec.TypeByName("bpf_struct_ops_bpf_dummy_ops", &st); err != nil {
		t.Skipf("kernel without bpf_dummy_ops: %v", err)
	}
}

// mapName is a map name unique to this test process.
func mapName(tag string) string { return fmt.Sprintf("%s%d", tag, os.Getpid()%1000000) }

// runDummy runs a bpf_dummy_ops program with BPF_PROG_TEST_RUN: ctx[0]
// points at a struct bpf_dummy_ops_state holding val.
func runDummy(t *testing.T, p *ebpf.Program, val int32, args ...uint64) int32 {
	t.Helper()
	st := &struct{ Val int32 }{val}
	ctx := append([]uint64{uint64(uintptr(unsafe.Pointer(st)))}, args...)
	ret, err := p.Run(&ebpf.RunOptions{Context: ctx})
	runtime.KeepAlive(st)
	if err != nil {
		t.Fatalf("run %s: %v", p, err)
	}
	return int32(ret)
}

// globals is the value of a single-entry array the dummy program reaches
// without helpers (bpf_dummy_ops programs may call none): a C global.
type globals struct {
	Calls uint64
	Sum   int64
	Last  int32
	Bias  int32
}

// globalsProg counts its calls, adds cb->val to Sum, stores it in Last
// and returns cb->val + Bias (Bias is set from Go).
func globalsProg(g *sasm.Map[uint32, globals]) asm.Instructions {
	return sasm.Seq(
		g.ValuePtr(asm.R6),      // r6 = &globals
		sigTest1.Arg(asm.R7, 0), // r7 = cb
		asm.Instructions{asm.JEq.Imm(asm.R7, 0, "null")},
		stateVal.Load(asm.R7, asm.R7),                 // r7 = cb->val
		asm.Instructions{asm.Mov.Imm(asm.R1, 1)},      // r1 = 1
		g.Field("Calls").Add(asm.R6, asm.R1),          // lock g->calls += 1
		g.Field("Sum").Add(asm.R6, asm.R7),            // lock g->sum += val
		g.Field("Last").Store(asm.R6, asm.R7),         // g->last = val
		g.Field("Bias").Load(asm.R0, asm.R6),          // r0 = g->bias
		asm.Instructions{asm.Add.Reg(asm.R0, asm.R7)}, // r0 += val
		sigTest1.Ret(asm.R0),                          // return val + bias
		sasm.Label("null", sigTest1.RetImm(0)),
	)
}

func loadPrograms(t *testing.T, progs map[string]asm.Instructions, opts *bpf.Options) *bpf.Impl {
	t.Helper()
	impl, err := bpf.LoadPrograms(dummyOps, progs, opts)
	if err != nil {
		t.Fatalf("LoadPrograms: %v", err)
	}
	t.Cleanup(func() { impl.Close() })
	return impl
}

// A bpf_dummy_ops program run with BPF_PROG_TEST_RUN updates a map the Go
// side reads with its declared type, and reads what the Go side writes; a
// second implementation loaded with MapsFrom keeps counting in the same
// map after the first is closed.
func TestMapsDummyOps(t *testing.T) {
	needDummyOps(t)
	g := sasm.NewMap[uint32, globals](mapName("glob"), ebpf.Array, 1)
	impl := loadPrograms(t, map[string]asm.Instructions{"test_1": globalsProg(g)}, nil)
	m, err := bpf.MapOf(impl, g)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Update(0, globals{Bias: 1000}); err != nil {
		t.Fatal(err)
	}
	vals := []int32{5, -3, 5, 7}
	var sum int64
	for _, v := range vals {
		if got := runDummy(t, impl.Program("test_1"), v); got != v+1000 {
			t.Errorf("test_1(%d) = %d, want %d", v, got, v+1000)
		}
		sum += int64(v)
	}
	want := globals{Calls: uint64(len(vals)), Sum: sum, Last: 7, Bias: 1000}
	if got, err := m.Lookup(0); err != nil || got != want {
		t.Errorf("globals = %+v, %v; want %+v", got, err, want)
	}
	var entries int
	if err := m.Range(func(k uint32, v globals) bool { entries++; return k == 0 && v == want }); err != nil || entries != 1 {
		t.Errorf("Range: %d entries, %v", entries, err)
	}
	if _, err := m.LookupPerCPU(0); err == nil || !strings.Contains(err.Error(), "use Lookup") {
		t.Errorf("LookupPerCPU of an array: %v", err)
	}

	next := loadPrograms(t, map[string]asm.Instructions{"test_1": globalsProg(g)}, &bpf.Options{MapsFrom: impl})
	a, err1 := impl.MapID(g.Name)
	b, err2 := next.MapID(g.Name)
	if err1 != nil || err2 != nil || a != b {
		t.Errorf("map IDs %d (%v) and %d (%v), want one map", a, err1, b, err2)
	}
	impl.Close()
	if got := runDummy(t, next.Program("test_1"), 1); got != 1001 {
		t.Errorf("next test_1(1) = %d, want 1001 (the bias set through the first)", got)
	}
	nm, err := bpf.MapOf(next, g)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := nm.Lookup(0); err != nil || got.Calls != uint64(len(vals))+1 {
		t.Errorf("calls after the swap = %d, %v; want %d", got.Calls, err, len(vals)+1)
	}
	if _, err := bpf.MapOf(impl, g); err == nil {
		t.Error("MapOf of a closed implementation succeeded")
	}
}

// event is what the ring buffer programs send.
type event struct {
	Seq uint32
	Tag uint32
}

// A tcp_congestion_ops init program, run once per connection, counts its
// calls in a per-CPU array, numbers them with a fetch-and-add on a global,
// counts even and odd numbers in a hash (lookup and add, or insert) and
// sends two events per call, one reserved and submitted, one output from
// the stack: the Go side reads the sum, the hash and the events in order.
func TestMapsTCP(t *testing.T) {
	needRoot(t)
	calls := sasm.NewMap[uint32, uint64](mapName("calls"), ebpf.PerCPUArray, 1)
	seq := sasm.NewMap[uint32, uint64](mapName("seq"), ebpf.Array, 1)
	parity := sasm.NewMap[uint32, uint64](mapName("par"), ebpf.Hash, 4)
	rb := sasm.NewRingBuf[event](mapName("rb"), 1<<14)
	init := sasm.Seq(
		seq.ValuePtr(asm.R6),                     // r6 = &seq
		asm.Instructions{asm.Mov.Imm(asm.R7, 1)}, // r7 = 1
		seq.Field("").FetchAdd(asm.R6, asm.R7),   // r7 = seq++
		calls.Count(0, -4),                       // calls[0]++ on this CPU
		asm.Instructions{
			asm.Mov.Reg(asm.R8, asm.R7),                 // r8 = r7
			asm.And.Imm(asm.R8, 1),                      // r8 &= 1
			asm.StoreMem(asm.RFP, -8, asm.R8, asm.Word), // key = r7 & 1
		},
		parity.Lookup(-8),
		asm.Instructions{asm.JEq.Imm(asm.R0, 0, "insert"), asm.Mov.Imm(asm.R1, 1)},
		parity.Field("").Add(asm.R0, asm.R1), // parity[key] += 1
		asm.Instructions{
			asm.Ja.Label("ring"),
			asm.Mov.Imm(asm.R1, 1).WithSymbol("insert"),
			asm.StoreMem(asm.RFP, -16, asm.R1, asm.DWord),
		},
		parity.Update(-8, -16, ebpf.UpdateNoExist), // parity[key] = 1
		sasm.Label("ring", rb.Reserve()),
		asm.Instructions{asm.JEq.Imm(asm.R0, 0, "output"), asm.Mov.Reg(asm.R8, asm.R0)},
		rb.Field("Seq").Store(asm.R8, asm.R7), // e->seq = r7
		rb.Field("Tag").StoreImm(asm.R8, 1),   // e->tag = 1
		rb.Submit(asm.R8),
		asm.Instructions{
			asm.StoreMem(asm.RFP, -24, asm.R7, asm.Word).WithSymbol("output"), // e.seq = r7
			asm.StoreImm(asm.RFP, -20, 2, asm.Word),                           // e.tag = 2
		},
		rb.Output(-24),
		sigInit.RetImm(0),
	)
	progs := minimalCC()
	progs["init"] = init
	name := ccName("t")
	impl := load(t, name, progs, nil)
	rd, err := bpf.RingBufOf(impl, rb)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if err := impl.Attach(); err != nil {
		t.Fatal(err)
	}
	const n = 9
	for range n {
		connect(t, name)
	}

	cm, err := bpf.MapOf(impl, calls)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := bpf.Sum(cm, 0); err != nil || got != n {
		t.Errorf("calls summed over CPUs = %d, %v; want %d", got, err, n)
	}
	sm, err := bpf.MapOf(impl, seq)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := bpf.Sum(sm, 0); err != nil || got != n {
		t.Errorf("seq = %d, %v; want %d", got, err, n)
	}
	pm, err := bpf.MapOf(impl, parity)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint32]uint64{}
	if err := pm.Range(func(k uint32, v uint64) bool { got[k] = v; return true }); err != nil {
		t.Fatal(err)
	}
	if want := map[uint32]uint64{0: (n + 1) / 2, 1: n / 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parity = %v, want %v", got, want)
	}

	rd.SetDeadline(time.Now().Add(5 * time.Second))
	for i := range uint32(n) {
		for _, tag := range []uint32{1, 2} {
			e, err := rd.Read()
			if err != nil {
				t.Fatalf("event %d/%d: %v", i, tag, err)
			}
			if want := (event{Seq: i, Tag: tag}); e != want {
				t.Fatalf("event = %+v, want %+v", e, want)
			}
		}
	}
	rd.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if e, err := rd.Read(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("an extra event %+v (%v)", e, err)
	}
}

// loadedMapNamed reports whether the kernel has a map called name.
func loadedMapNamed(t *testing.T, name string) bool {
	t.Helper()
	var id ebpf.MapID
	for {
		next, err := ebpf.MapGetNextID(id)
		if err != nil {
			return false
		}
		id = next
		m, err := ebpf.NewMapFromID(id)
		if err != nil {
			continue // freed meanwhile
		}
		info, err := m.Info()
		m.Close()
		if err == nil && info.Name == name {
			return true
		}
	}
}

// A map the kernel refuses is one line naming the map and its size; the
// maps created before it are closed and no program is loaded.
func TestMapsTooLarge(t *testing.T) {
	needDummyOps(t)
	small := sasm.NewMap[uint32, uint64](mapName("a"), ebpf.Array, 1) // created first (sorted by name)
	huge := sasm.NewMap[uint32, [4096]byte](mapName("huge"), ebpf.Array, 1<<28)
	prog := sasm.Seq(small.ValuePtr(asm.R1), huge.LoadPtr(asm.R2), sigTest1.RetImm(0))
	impl, err := bpf.LoadPrograms(dummyOps, map[string]asm.Instructions{"test_1": prog}, nil)
	if err == nil {
		impl.Close()
		t.Fatal("a 1 TiB array was created")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "map "+huge.Name+" (Array, 268435456 entries, 4-byte keys, 4096-byte values, about 1 TiB): ") ||
		!strings.Contains(msg, "declare fewer entries or smaller values") {
		t.Errorf("error: %q, want one line naming the map, its size and the fix", msg)
	}
	t.Log(msg)
	if loadedMapNamed(t, small.Name) {
		t.Errorf("map %s is still loaded after the failed load", small.Name)
	}
}

// Load errors that need no kernel: conflicting declarations, a map name
// taken by the struct_ops map, MapOf of a map no program uses.
func TestMapsDeclarationErrors(t *testing.T) {
	a := sasm.NewMap[uint32, uint64]("twice", ebpf.Array, 1)
	b := sasm.NewMap[uint32, uint32]("twice", ebpf.Array, 1)
	_, err := bpf.DeclaredMaps(map[string]asm.Instructions{"test_1": a.LoadPtr(asm.R1), "test_2": b.LoadPtr(asm.R1)})
	if err == nil || !strings.Contains(err.Error(), "program test_2: map twice is declared twice with different shapes (Array, 1 entries, 4-byte keys, 8-byte values in test_1, Array, 1 entries, 4-byte keys, 4-byte values here)") {
		t.Errorf("conflicting declarations: %v", err)
	}
	same := sasm.NewMap[uint32, uint64]("twice", ebpf.Array, 1)
	if defs, err := bpf.DeclaredMaps(map[string]asm.Instructions{"test_1": a.LoadPtr(asm.R1), "test_2": same.LoadPtr(asm.R1)}); err != nil || len(defs) != 1 {
		t.Errorf("two equal declarations: %v, %v", defs, err)
	}
	clash := sasm.NewMap[uint32, uint64]("bpf_dummy_ops", ebpf.Array, 1)
	_, err = bpf.Spec(dummyOps, map[string]asm.Instructions{"test_1": sasm.Seq(clash.LoadPtr(asm.R1), sigTest1.RetImm(0))}, nil)
	if err == nil || !strings.Contains(err.Error(), "map bpf_dummy_ops: the name is taken by the struct_ops map") {
		t.Errorf("name clash: %v", err)
	}
	spec, err := bpf.Spec(dummyOps, map[string]asm.Instructions{"test_1": sasm.Seq(a.LoadPtr(asm.R1), sigTest1.RetImm(0))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ms := spec.Maps["twice"]; ms == nil || ms.Type != ebpf.Array || ms.KeySize != 4 || ms.ValueSize != 8 || ms.MaxEntries != 1 {
		t.Errorf("Spec's map twice: %+v", ms)
	}
}

func TestMapsMapOfUnused(t *testing.T) {
	needDummyOps(t)
	used := sasm.NewMap[uint32, uint64](mapName("used"), ebpf.Array, 1)
	unused := sasm.NewMap[uint32, uint64](mapName("unused"), ebpf.Array, 1)
	impl := loadPrograms(t, map[string]asm.Instructions{"test_1": sasm.Seq(used.ValuePtr(asm.R1), sigTest1.RetImm(0))}, nil)
	if _, err := bpf.MapOf(impl, unused); err == nil || !strings.Contains(err.Error(), "map "+unused.Name+": no program of bpf_dummy_ops uses it (its maps: ["+used.Name+"])") {
		t.Errorf("MapOf(unused): %v", err)
	}
	other := sasm.NewMap[uint32, uint32](used.Name, ebpf.Array, 1)
	if _, err := bpf.MapOf(impl, other); err == nil || !strings.Contains(err.Error(), "declared as Array, 1 entries, 4-byte keys, 4-byte values, loaded as Array, 1 entries, 4-byte keys, 8-byte values") {
		t.Errorf("MapOf(other shape): %v", err)
	}
	if _, err := bpf.LoadPrograms(dummyOps, map[string]asm.Instructions{"test_1": sasm.Seq(other.ValuePtr(asm.R1), sigTest1.RetImm(0))}, &bpf.Options{MapsFrom: impl}); err == nil ||
		!strings.Contains(err.Error(), "map "+used.Name+": the previous implementation's map has another shape") {
		t.Errorf("MapsFrom with another shape: %v", err)
	}
}

// PinDir pins the maps; a later load takes the pinned map, so counts
// outlive the implementation.
func TestMapsPin(t *testing.T) {
	needDummyOps(t)
	// a bpffs of its own, so the test needs none mounted
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		t.Skipf("cannot mount a bpffs at %s: %v", dir, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	calls := sasm.NewMap[uint32, uint64](mapName("pinned"), ebpf.Array, 1)
	progs := func() map[string]asm.Instructions {
		return map[string]asm.Instructions{"test_1": sasm.Seq(
			calls.ValuePtr(asm.R6),
			asm.Instructions{asm.Mov.Imm(asm.R1, 1)},
			calls.Field("").Add(asm.R6, asm.R1), // lock calls += 1
			sigTest1.RetImm(0),
		)}
	}
	first := loadPrograms(t, progs(), &bpf.Options{PinDir: dir})
	runDummy(t, first.Program("test_1"), 0)
	if _, err := os.Stat(filepath.Join(dir, calls.Name)); err != nil {
		t.Fatalf("not pinned: %v", err)
	}
	first.Close()
	second := loadPrograms(t, progs(), &bpf.Options{PinDir: dir})
	runDummy(t, second.Program("test_1"), 0)
	m, err := bpf.MapOf(second, calls)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := m.Lookup(0); err != nil || n != 2 {
		t.Errorf("calls[0] = %d, %v; want 2 (one call each through the pinned map)", n, err)
	}
	p, err := ebpf.LoadPinnedMap(filepath.Join(dir, calls.Name), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var n uint64
	if err := p.Lookup(uint32(0), &n); err != nil || n != 2 {
		t.Errorf("another reader of the pin: %d, %v", n, err)
	}
}

// A hot swap (Impl.Update) of an attached tcp_congestion_ops keeps the
// maps: the next implementation, loaded with MapsFrom, sees what the
// previous one's map holds.
func TestMapsHotSwap(t *testing.T) {
	needRoot(t)
	state := sasm.NewMap[uint32, uint64](mapName("cc"), ebpf.Array, 2)
	progs := func(key int64) map[string]asm.Instructions {
		p := minimalCC()
		p["init"] = sasm.Seq(state.Count(key, -4), sigInit.RetImm(0))
		return p
	}
	name := ccName("m")
	cur := load(t, name, progs(0), nil)
	if err := cur.Attach(); err != nil {
		t.Fatal(err)
	}
	m, err := bpf.MapOf(cur, state)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Update(1, 41); err != nil {
		t.Fatal(err)
	}
	own := load(t, name, progs(1), nil)
	if err := cur.Update(own); err == nil || !strings.Contains(err.Error(), "the new implementation has its own map "+state.Name) {
		t.Fatalf("Update to an implementation with its own maps: %v", err)
	}
	next := load(t, name, progs(1), &bpf.Options{MapsFrom: cur})
	if err := cur.Update(next); err != nil {
		t.Fatalf("Update: %v", err)
	}
	a, _ := cur.MapID(state.Name)
	b, err := next.MapID(state.Name)
	if err != nil || a != b {
		t.Errorf("map IDs %d and %d (%v): the swap made a new map", a, b, err)
	}
	cur.Close()
	nm, err := bpf.MapOf(next, state)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := nm.Lookup(1); err != nil || v != 41 {
		t.Errorf("state[1] after the swap = %d, %v; want 41", v, err)
	}
}

// Call counts kept without helpers (bpf_dummy_ops) are read per member.
func TestCallCountsGlobal(t *testing.T) {
	needDummyOps(t)
	counts := sasm.NewGlobalCallCounts(mapName("n"), "test_1", "test_2")
	ops := *dummyOps
	ops.Counts = counts
	impl, err := bpf.LoadPrograms(&ops, map[string]asm.Instructions{
		"test_1": sasm.Seq(counts.Count("test_1"), sigTest1.Arg(asm.R2, 0), sigTest1.RetImm(1)),
		"test_2": sasm.Seq(counts.Count("test_2"), sigTest2.RetImm(2)),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer impl.Close()
	for range 3 {
		runDummy(t, impl.Program("test_1"), 0)
	}
	for range 5 {
		runDummy(t, impl.Program("test_2"), 0, 0, 0, 0, 0)
	}
	got, err := impl.CallCounts()
	if want := []bpf.CallCount{{"test_1", 3}, {"test_2", 5}}; err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CallCounts = %v, %v; want %v", got, err, want)
	}
}

// Per-CPU call counts of a congestion control: init runs once per
// connection; the count put first keeps the ctx in R1 for the body.
func TestCallCountsTCP(t *testing.T) {
	needRoot(t)
	counts := sasm.NewCallCounts(mapName("n"), "ssthresh", "undo_cwnd", "cong_avoid", "init")
	ops := *tcpOps
	ops.Counts = counts
	progs := minimalCC()
	progs["init"] = sasm.Seq(sigInit.Arg(asm.R1, 0), sigInit.RetImm(0)) // reads the ctx after the count
	for member, body := range progs {
		progs[member] = sasm.Seq(counts.Count(member), body)
	}
	name := ccName("n")
	impl, err := bpf.Load(&ops, progs, &bpf.Options{Data: map[string][]byte{"name": []byte(name)}})
	if err != nil {
		t.Fatal(err)
	}
	defer impl.Close()
	if err := impl.Attach(); err != nil {
		t.Fatal(err)
	}
	const n = 4
	for range n {
		connect(t, name)
	}
	got, err := impl.CallCounts()
	if err != nil || len(got) != 4 || got[3] != (bpf.CallCount{Member: "init", Calls: n}) {
		t.Errorf("CallCounts = %v, %v; want init %d", got, err, n)
	}
}

// A map declared by sizes is read and written as byte slices.
func TestMapsSized(t *testing.T) {
	needDummyOps(t)
	raw := sasm.NewMapSized(mapName("raw"), ebpf.Array, 4, 16, 1)
	impl := loadPrograms(t, map[string]asm.Instructions{"test_1": sasm.Seq(
		raw.ValuePtr(asm.R6),
		asm.Instructions{asm.Mov.Imm(asm.R1, 3)},
		raw.At(8, 8).Add(asm.R6, asm.R1), // lock *(u64 *)(value + 8) += 3
		sigTest1.RetImm(0),
	)}, nil)
	runDummy(t, impl.Program("test_1"), 0)
	m, err := bpf.MapOf(impl, raw)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte{0, 0, 0, 0}
	if err := m.Update(key, []byte{1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	runDummy(t, impl.Program("test_1"), 0)
	v, err := m.Lookup(key)
	if want := []byte{1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}; err != nil || !slices.Equal(v, want) {
		t.Errorf("raw[0] = %v, %v; want %v", v, err, want)
	}
}
