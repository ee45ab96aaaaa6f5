package asm

import (
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// MapNameLen is the longest map name the kernel keeps (BPF_OBJ_NAME_LEN - 1).
const MapNameLen = 15

// maxPerCPUValue is PCPU_MIN_UNIT_SIZE: the kernel refuses per-CPU values
// larger than 32 KiB with E2BIG.
const maxPerCPUValue = 32 << 10

// maxHashKey is MAX_BPF_STACK: a hash map's key must fit the BPF stack.
const maxHashKey = 512

// MapDef is a BPF map as programs and the runtime see it: what the kernel
// creates (name, kind, sizes, entries, flags) and, for typed declarations,
// the Go types of keys and values. Declare one with NewMap, NewMapSized or
// NewRingBuf in the package next to the callbacks; its methods build the
// instructions that use it, and package bpf creates every map the programs
// of an implementation refer to when it loads them.
type MapDef struct {
	Name       string
	Type       ebpf.MapType
	KeySize    uint32
	ValueSize  uint32 // for a ring buffer: the size of one event
	MaxEntries uint32 // for a ring buffer: its size in bytes
	Flags      uint32
	// Key and Value are the declared Go types (nil for NewMapSized); for
	// a ring buffer, Value is the event type.
	Key, Value reflect.Type
}

// Map is a map declared with Go key and value types K and V. Package bpf
// reads and writes it with those types (bpf.MapOf).
type Map[K, V any] struct{ *MapDef }

// RingBuf is a ring buffer whose events are of Go type T. Package bpf reads
// them as T (bpf.RingBufOf).
type RingBuf[T any] struct{ *MapDef }

// mapMeta is the Metadata key of the *MapDef an ld_imm64 of a map points at.
type mapMeta struct{}

// MapDefOf returns the map an instruction built by LoadPtr (or any map
// helper) loads.
func MapDefOf(ins asm.Instruction) (*MapDef, bool) {
	d, ok := ins.Metadata.Get(mapMeta{}).(*MapDef)
	return d, ok
}

// The kinds NewMap declares: every one cilium/ebpf creates from a kind,
// sizes, entries and flags alone.
var mapKinds = map[ebpf.MapType]bool{
	ebpf.Array:       true,
	ebpf.Hash:        true,
	ebpf.LRUHash:     true,
	ebpf.PerCPUArray: true,
	ebpf.PerCPUHash:  true,
	ebpf.LRUCPUHash:  true,
}

// NewMap declares a map of kind typ (ebpf.Array, Hash, LRUHash,
// PerCPUArray, PerCPUHash or LRUCPUHash) with keys of Go type K, values of
// Go type V and maxEntries entries; flags are BPF_F_* map flags (e.g.
// BPF_F_NO_PREALLOC for a hash). K and V must be fixed-size types without
// implicit padding (integers, arrays and structs of them; pad structs with
// explicit _ fields), laid out as the programs see them. The name is the
// kernel's (at most 15 characters of letters, digits, '_' and '.'), the
// pin's file name and what bpftool shows.
//
// It panics on a declaration the kernel would refuse for its shape: a
// too-long name, an array key other than 4 bytes, a per-CPU value over 32
// KiB, zero entries.
func NewMap[K, V any](name string, typ ebpf.MapType, maxEntries uint32, flags ...uint32) *Map[K, V] {
	kt, vt := reflect.TypeFor[K](), reflect.TypeFor[V]()
	what := fmt.Sprintf("map %s", name)
	ks := fixedSize(what, "key", kt)
	vs := fixedSize(what, "value", vt)
	d := &MapDef{Name: name, Type: typ, KeySize: ks, ValueSize: vs, MaxEntries: maxEntries, Key: kt, Value: vt}
	for _, f := range flags {
		d.Flags |= f
	}
	d.mustValid()
	return &Map[K, V]{d}
}

// NewMapSized declares a map by key and value sizes alone; package bpf
// reads and writes its keys and values as byte slices of those sizes.
func NewMapSized(name string, typ ebpf.MapType, keySize, valueSize, maxEntries uint32, flags ...uint32) *Map[[]byte, []byte] {
	d := &MapDef{Name: name, Type: typ, KeySize: keySize, ValueSize: valueSize, MaxEntries: maxEntries}
	for _, f := range flags {
		d.Flags |= f
	}
	d.mustValid()
	return &Map[[]byte, []byte]{d}
}

// NewRingBuf declares a ring buffer of size bytes (a power of 2 and a
// multiple of the 4096-byte page) carrying events of Go type T (fixed size,
// no implicit padding; Reserve and Output move sizeof(T) bytes).
func NewRingBuf[T any](name string, size uint32) *RingBuf[T] {
	t := reflect.TypeFor[T]()
	d := &MapDef{Name: name, Type: ebpf.RingBuf, MaxEntries: size, Value: t}
	d.ValueSize = fixedSize("ring buffer "+name, "event", t)
	d.mustValid()
	return &RingBuf[T]{d}
}

// fixedSize returns the size of t, which must have the same bytes in Go
// memory as in its binary encoding (what cilium/ebpf copies): no pointers,
// slices, strings or implicit padding.
func fixedSize(what, role string, t reflect.Type) uint32 {
	n := binary.Size(reflect.New(t).Interface())
	if n <= 0 {
		panic(fmt.Sprintf("sasm: %s: %s type %s has no fixed size: use integers, arrays and structs of them", what, role, t))
	}
	if uintptr(n) != t.Size() {
		panic(fmt.Sprintf("sasm: %s: %s type %s has %d bytes of implicit padding: add explicit _ fields so Go and BPF agree on the layout", what, role, t, t.Size()-uintptr(n)))
	}
	return uint32(n)
}

// Check returns why the kernel would refuse the map's shape, or nil:
// package bpf checks every map again before creating it.
func (d *MapDef) Check() error {
	what := "map " + d.Name
	if err := CheckMapName(d.Name); err != nil {
		return err
	}
	if d.MaxEntries == 0 {
		return fmt.Errorf("%s: 0 entries: declare at least 1", what)
	}
	switch {
	case d.Type == ebpf.RingBuf:
		if d.KeySize != 0 || d.Flags != 0 {
			return fmt.Errorf("ring buffer %s: a ring buffer has no key and no flags: declare it with NewRingBuf", d.Name)
		}
		if d.MaxEntries&(d.MaxEntries-1) != 0 || d.MaxEntries%4096 != 0 {
			return fmt.Errorf("ring buffer %s: size %d bytes: the kernel wants a power of 2 and a multiple of the 4096-byte page (e.g. %d)", d.Name, d.MaxEntries, ceilPow2(max(d.MaxEntries, 4096)))
		}
		if d.ValueSize == 0 || d.ValueSize > d.MaxEntries/2 {
			return fmt.Errorf("ring buffer %s: %d-byte events in a %d-byte ring: an event (plus its 8-byte header) must fit", d.Name, d.ValueSize, d.MaxEntries)
		}
		return nil
	case !mapKinds[d.Type]:
		return fmt.Errorf("%s: kind %s: declare an Array, Hash, LRUHash, PerCPUArray, PerCPUHash or LRUCPUHash (NewRingBuf for a ring buffer)", what, d.Type)
	case d.KeySize == 0 || d.ValueSize == 0:
		return fmt.Errorf("%s: %d-byte keys, %d-byte values: both need at least 1 byte", what, d.KeySize, d.ValueSize)
	case (d.Type == ebpf.Array || d.Type == ebpf.PerCPUArray) && d.KeySize != 4:
		return fmt.Errorf("%s: %s keys are 4-byte indexes (uint32), not %d bytes", what, d.Type, d.KeySize)
	case d.KeySize > maxHashKey:
		return fmt.Errorf("%s: %d-byte keys: at most %d (the BPF stack)", what, d.KeySize, maxHashKey)
	case d.perCPU() && d.ValueSize > maxPerCPUValue:
		return fmt.Errorf("%s: %d-byte values: a per-CPU value is at most %d bytes", what, d.ValueSize, maxPerCPUValue)
	}
	return nil
}

func (d *MapDef) mustValid() {
	if err := d.Check(); err != nil {
		panic("sasm: " + err.Error())
	}
}

func ceilPow2(n uint32) uint32 {
	p := uint32(1)
	for p < n && p != 0 {
		p <<= 1
	}
	return p
}

// perCPU reports whether each CPU has its own copy of every value.
func (d *MapDef) perCPU() bool {
	return d.Type == ebpf.PerCPUArray || d.Type == ebpf.PerCPUHash || d.Type == ebpf.LRUCPUHash
}

// PerCPU reports whether each CPU has its own copy of every value.
func (d *MapDef) PerCPU() bool { return d.perCPU() }

// CheckMapName returns an error unless name is a map name the kernel keeps
// whole: 1 to 15 letters, digits, '_' or '.'.
func CheckMapName(name string) error {
	if name == "" {
		return fmt.Errorf("a map without a name: name it")
	}
	if len(name) > MapNameLen {
		return fmt.Errorf("map %s: the name has %d characters, the kernel keeps %d: shorten it (e.g. %s)", name, len(name), MapNameLen, name[:MapNameLen])
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return fmt.Errorf("map %s: character %q: a map name has letters, digits, '_' and '.' only", name, c)
		}
	}
	return nil
}

// LoadPtr sets dst to the map (an ld_imm64 of the map's fd, two slots): the
// first argument of the map helpers. The map rides on the instruction's
// Metadata and its Reference is the map's name; package bpf creates the map
// and fills in the fd at load.
func (d *MapDef) LoadPtr(dst asm.Register) asm.Instructions {
	if dst == asm.RFP {
		misuse("", "map %s: LoadPtr into the frame pointer R10", d.Name)
	}
	ins := asm.LoadMapPtr(dst, 0).WithReference(d.Name) // dst = &map, fd filled in at load
	ins.Metadata.Set(mapMeta{}, d)
	return asm.Instructions{ins}
}

// ValuePtr sets dst to a pointer to the only value of a single-entry
// Array (an ld_imm64 of the map value, two slots): what clang emits for a
// global variable. No helper call, no NULL check, no clobbered registers,
// so it also works in programs of types that may call no helpers
// (bpf_dummy_ops). It panics for any other map.
func (d *MapDef) ValuePtr(dst asm.Register) asm.Instructions {
	if d.Type != ebpf.Array || d.MaxEntries != 1 {
		misuse("", "map %s: ValuePtr needs an Array of 1 entry (a global), not a %s of %d: use Lookup", d.Name, d.Type, d.MaxEntries)
	}
	if dst == asm.RFP {
		misuse("", "map %s: ValuePtr into the frame pointer R10", d.Name)
	}
	ins := asm.LoadMapValue(dst, 0, 0).WithReference(d.Name) // dst = &map[0], fd filled in at load
	ins.Metadata.Set(mapMeta{}, d)
	return asm.Instructions{ins}
}

// fpPtr sets dst to fp + off.
func fpPtr(dst asm.Register, off int16) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(dst, asm.RFP),    // dst = fp
		asm.Add.Imm(dst, int32(off)), // dst = fp + off
	}
}

func (d *MapDef) notRing(what string) {
	if d.Type == ebpf.RingBuf {
		misuse("", "ring buffer %s: %s works on maps with keys: use Reserve, Submit and Output", d.Name, what)
	}
}

// Lookup calls bpf_map_lookup_elem(&map, fp+keyOff): the key (KeySize
// bytes) must be on the stack at fp+keyOff. R0 is a pointer to the value or
// NULL: the verifier demands the NULL check before any access (wrap the
// access in IfNotNull(asm.R0, ...), or use LookupThen). R0..R5 are
// clobbered. 4 instructions, 5 slots.
func (d *MapDef) Lookup(keyOff int16) asm.Instructions {
	d.notRing("Lookup")
	checkStack(fmt.Sprintf("map %s: Lookup key", d.Name), keyOff, int(d.KeySize))
	return Seq(
		fpPtr(asm.R2, keyOff),                        // r2 = fp + keyOff: the key
		d.LoadPtr(asm.R1),                            // r1 = &map
		asm.Instructions{asm.FnMapLookupElem.Call()}, // r0 = bpf_map_lookup_elem(r1, r2)
	)
}

// LookupThen looks up the key at fp+keyOff and runs body with R0 pointing
// at the value only if there is one (the NULL check is one jump).
func (d *MapDef) LookupThen(keyOff int16, body asm.Instructions) asm.Instructions {
	return Seq(d.Lookup(keyOff), IfNotNull(asm.R0, body))
}

// StoreKey stores the constant key at fp+keyOff with one store of the
// immediate (an array's index, a small integer key). The key must be a 1,
// 2, 4 or 8-byte integer and key must fit it (an 8-byte key takes the
// sign-extended 32-bit immediate).
func (d *MapDef) StoreKey(keyOff int16, key int64) asm.Instructions {
	d.notRing("StoreKey")
	what := fmt.Sprintf("map %s: key %d", d.Name, key)
	ks := int(d.KeySize)
	if ks != 1 && ks != 2 && ks != 4 && ks != 8 {
		misuse("", "%s: the key is %d bytes, not an integer: store it at fp%+d yourself and use Lookup", what, ks, keyOff)
	}
	if d.Key != nil && !isInt(d.Key) {
		misuse("", "%s: the key type %s is not an integer: store it at fp%+d yourself and use Lookup", what, d.Key, keyOff)
	}
	if ks < 8 && (key < -(1<<(8*ks-1)) || key >= 1<<(8*ks)) || ks == 8 && key != int64(int32(key)) {
		misuse("", "%s does not fit the %d-byte key (an 8-byte key takes a 32-bit constant)", what, ks)
	}
	if d.Type == ebpf.Array || d.Type == ebpf.PerCPUArray {
		if uint64(uint32(key)) >= uint64(d.MaxEntries) || key < 0 {
			misuse("", "%s: index out of range: the array has %d entries", what, d.MaxEntries)
		}
	}
	checkStack(what, keyOff, ks)
	// *(u8/u16/u32/u64 *)(fp + keyOff) = key (BPF_ST; a DWord store takes the sign-extended imm32)
	return asm.Instructions{{OpCode: asm.StoreImmOp(memSize(ks)), Dst: asm.RFP, Offset: keyOff, Constant: int64(int32(key))}}
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// Update calls bpf_map_update_elem(&map, fp+keyOff, fp+valueOff, flags)
// (flags: ebpf.UpdateAny, UpdateNoExist, UpdateExist). The result (0 or a
// negative errno) is in R0; R0..R5 are clobbered.
func (d *MapDef) Update(keyOff, valueOff int16, flags ebpf.MapUpdateFlags) asm.Instructions {
	d.notRing("Update")
	checkStack(fmt.Sprintf("map %s: Update key", d.Name), keyOff, int(d.KeySize))
	checkStack(fmt.Sprintf("map %s: Update value", d.Name), valueOff, int(d.ValueSize))
	return Seq(
		fpPtr(asm.R2, keyOff),   // r2 = fp + keyOff: the key
		fpPtr(asm.R3, valueOff), // r3 = fp + valueOff: the value
		d.LoadPtr(asm.R1),       // r1 = &map
		asm.Instructions{
			asm.Mov.Imm(asm.R4, int32(flags)), // r4 = flags
			asm.FnMapUpdateElem.Call(),        // r0 = bpf_map_update_elem(r1, r2, r3, r4)
		},
	)
}

// Delete calls bpf_map_delete_elem(&map, fp+keyOff). The result (0 or a
// negative errno, -ENOENT for a missing key) is in R0; R0..R5 are
// clobbered. Arrays cannot delete (the kernel returns -EINVAL): it panics
// for them.
func (d *MapDef) Delete(keyOff int16) asm.Instructions {
	d.notRing("Delete")
	if d.Type == ebpf.Array || d.Type == ebpf.PerCPUArray {
		misuse("", "map %s: Delete: the entries of a %s always exist: store zero instead", d.Name, d.Type)
	}
	checkStack(fmt.Sprintf("map %s: Delete key", d.Name), keyOff, int(d.KeySize))
	return Seq(
		fpPtr(asm.R2, keyOff),                        // r2 = fp + keyOff: the key
		d.LoadPtr(asm.R1),                            // r1 = &map
		asm.Instructions{asm.FnMapDeleteElem.Call()}, // r0 = bpf_map_delete_elem(r1, r2)
	)
}

// Count adds 1 to the integer value of the constant key: stores the key at
// fp+keyOff, looks it up and, if found, atomically adds 1 (what clang -O2
// makes of `u32 k = key; u64 *v = bpf_map_lookup_elem(&m, &k); if (v)
// __sync_fetch_and_add(v, 1);`, with the key stored as an immediate). The
// value must be a 4 or 8-byte integer. R0..R5 are clobbered. 8
// instructions, 9 slots.
func (d *MapDef) Count(key int64, keyOff int16) asm.Instructions {
	f := d.Field("")
	return Seq(
		d.StoreKey(keyOff, key),
		d.LookupThen(keyOff, Seq(
			asm.Instructions{asm.Mov.Imm(asm.R1, 1)}, // r1 = 1
			f.Add(asm.R0, asm.R1),                    // lock *(value) += r1
		)),
	)
}

// MapField is a field of a map's value (or of a ring buffer's event): its
// place in the value. Build it with Field or At.
type MapField struct {
	Map    *MapDef
	Name   string // the Go field path, "" for the whole value
	Offset int
	Size   int
	Signed bool
}

func (f MapField) String() string {
	if f.Name == "" {
		return fmt.Sprintf("map %s value (%d bytes)", f.Map.Name, f.Size)
	}
	return fmt.Sprintf("map %s value field %s (offset %d, %d bytes)", f.Map.Name, f.Name, f.Offset, f.Size)
}

// Field returns the field of the value type called name (a Go struct
// field; nested fields as "A.B"; "" for the whole value). It panics if the
// map was declared without a value type, the field does not exist or is
// not a 1, 2, 4 or 8-byte integer.
func (d *MapDef) Field(name string) MapField {
	what := fmt.Sprintf("map %s", d.Name)
	if d.Value == nil {
		misuse("", "%s: Field(%q): declared by size, without a value type: use At(offset, size)", what, name)
	}
	t, off := d.Value, uintptr(0)
	if name != "" {
		cur := t
		for _, part := range splitPath(name) {
			if cur.Kind() != reflect.Struct {
				misuse("", "%s: Field(%q): %s is not a struct", what, name, cur)
			}
			f, found := cur.FieldByName(part)
			if !found {
				misuse("", "%s: Field(%q): value type %s has no field %s", what, name, d.Value, part)
			}
			off += f.Offset
			cur = f.Type
		}
		t = cur
	}
	if !isInt(t) && t.Kind() != reflect.Bool {
		misuse("", "%s: Field(%q): type %s is not an integer: use At(offset, size) for its integer parts", what, name, t)
	}
	return MapField{Map: d, Name: name, Offset: int(off), Size: int(t.Size()), Signed: t.Kind() >= reflect.Int8 && t.Kind() <= reflect.Int64}
}

func splitPath(s string) []string {
	var parts []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return parts
}

// At returns the unsigned integer of size bytes (1, 2, 4 or 8) at offset
// in the value. It panics if it does not lie within the value.
func (d *MapDef) At(offset, size int) MapField {
	f := MapField{Map: d, Name: fmt.Sprintf("@%d", offset), Offset: offset, Size: size}
	f.check("At")
	return f
}

func (f MapField) check(what string) {
	if f.Size != 1 && f.Size != 2 && f.Size != 4 && f.Size != 8 {
		misuse("", "%s: %s: size %d, want 1, 2, 4 or 8", f, what, f.Size)
	}
	if f.Offset < 0 || f.Offset+f.Size > int(f.Map.ValueSize) {
		misuse("", "map %s: %s: offset %d, %d bytes, is past the %d-byte value", f.Map.Name, what, f.Offset, f.Size, f.Map.ValueSize)
	}
	if f.Offset%f.Size != 0 {
		misuse("", "%s: %s: offset %d is not %d-aligned", f, what, f.Offset, f.Size)
	}
}

func checkPtr(f MapField, what string, regs ...asm.Register) {
	for _, r := range regs {
		if r == asm.RFP {
			misuse("", "%s: %s: R10 is the frame pointer, not a value pointer or a source", f, what)
		}
	}
}

// Add atomically adds src to the field of the value ptr points at (a value
// pointer from Lookup, after the NULL check): one BPF_ATOMIC add, as clang
// emits for __sync_fetch_and_add whose result is unused. The field must be
// 4 or 8 bytes (BPF has no narrower atomics).
func (f MapField) Add(ptr, src asm.Register) asm.Instructions {
	f.check("Add")
	checkPtr(f, "Add", ptr, src)
	if f.Size != 4 && f.Size != 8 {
		misuse("", "%s: Add: atomic adds are 4 or 8 bytes wide, the field is %d: widen it", f, f.Size)
	}
	// lock *(u32/u64 *)(ptr + offset) += src
	return asm.Instructions{atomic(asm.AddAtomic, ptr, src, f.Size, f.Offset)}
}

// FetchAdd atomically adds src to the field and sets src to the field's
// value before the add (__sync_fetch_and_add whose result is used). The
// field must be 4 or 8 bytes; a 4-byte result is zero-extended.
func (f MapField) FetchAdd(ptr, src asm.Register) asm.Instructions {
	f.check("FetchAdd")
	checkPtr(f, "FetchAdd", ptr, src)
	if f.Size != 4 && f.Size != 8 {
		misuse("", "%s: FetchAdd: atomic adds are 4 or 8 bytes wide, the field is %d: widen it", f, f.Size)
	}
	// src = atomic_fetch_add((u32/u64 *)(ptr + offset), src)
	return asm.Instructions{atomic(asm.FetchAdd, ptr, src, f.Size, f.Offset)}
}

// atomic is op.Mem with the atomic operation also in Constant, the
// instruction's imm: cilium/ebpf v0.22's Instruction.Marshal takes the imm
// from Constant before it folds the operation in, so BPF_FETCH (imm bit
// 0x01) would be lost and a fetch-add run as a plain add. Building it with
// op.Mem alone is enough once Marshal computes the imm after that step.
func atomic(op asm.AtomicOp, ptr, src asm.Register, size, off int) asm.Instruction {
	ins := op.Mem(ptr, src, memSize(size), int16(off))
	ins.Constant = int64(op >> 8) // BPF_ADD | BPF_FETCH
	return ins
}

// Load sets dst to the field of the value ptr points at, extended to 64
// bits according to its signedness.
func (f MapField) Load(dst, ptr asm.Register) asm.Instructions {
	f.check("Load")
	checkPtr(f, "Load", dst, ptr)
	if f.Signed && f.Size < 8 {
		// dst = *(s8/s16/s32 *)(ptr + offset), sign-extended
		return asm.Instructions{asm.LoadMemSX(dst, ptr, int16(f.Offset), memSize(f.Size))}
	}
	// dst = *(u8/u16/u32/u64 *)(ptr + offset)
	return asm.Instructions{asm.LoadMem(dst, ptr, int16(f.Offset), memSize(f.Size))}
}

// Store writes the low Size bytes of src to the field of the value (or
// reserved ring buffer event) ptr points at.
func (f MapField) Store(ptr, src asm.Register) asm.Instructions {
	f.check("Store")
	checkPtr(f, "Store", ptr, src)
	// *(u8/u16/u32/u64 *)(ptr + offset) = src
	return asm.Instructions{asm.StoreMem(ptr, int16(f.Offset), src, memSize(f.Size))}
}

// StoreImm writes the constant v to the field (one BPF_ST; an 8-byte field
// takes the sign-extended 32-bit v).
func (f MapField) StoreImm(ptr asm.Register, v int32) asm.Instructions {
	f.check("StoreImm")
	checkPtr(f, "StoreImm", ptr)
	// *(u8/u16/u32/u64 *)(ptr + offset) = v
	return asm.Instructions{{OpCode: asm.StoreImmOp(memSize(f.Size)), Dst: ptr, Offset: int16(f.Offset), Constant: int64(v)}}
}

// Reserve calls bpf_ringbuf_reserve(&ring, sizeof(T), 0): R0 points at
// room for one event, or is NULL when the ring is full. After the NULL
// check the event must be handed to Submit or Discard on every path (the
// verifier tracks the reference). R0..R5 are clobbered. 4 instructions, 5
// slots.
func (r *RingBuf[T]) Reserve() asm.Instructions {
	return Seq(
		r.LoadPtr(asm.R1), // r1 = &ring
		asm.Instructions{
			asm.Mov.Imm(asm.R2, int32(r.ValueSize)), // r2 = sizeof(event)
			asm.Mov.Imm(asm.R3, 0),                  // r3 = flags 0
			asm.FnRingbufReserve.Call(),             // r0 = bpf_ringbuf_reserve(r1, r2, r3)
		},
	)
}

// Submit calls bpf_ringbuf_submit(ptr, 0): the reserved event ptr points
// at becomes visible to readers. R0..R5 are clobbered.
func (r *RingBuf[T]) Submit(ptr asm.Register) asm.Instructions {
	return r.finish("Submit", ptr, asm.FnRingbufSubmit)
}

// Discard calls bpf_ringbuf_discard(ptr, 0): the reserved event is
// dropped. R0..R5 are clobbered.
func (r *RingBuf[T]) Discard(ptr asm.Register) asm.Instructions {
	return r.finish("Discard", ptr, asm.FnRingbufDiscard)
}

func (r *RingBuf[T]) finish(what string, ptr asm.Register, fn asm.BuiltinFunc) asm.Instructions {
	if ptr == asm.RFP {
		misuse("", "ring buffer %s: %s: R10 is the frame pointer, not a reserved event", r.Name, what)
	}
	return append(parallelMove([]move{{dst: asm.R1, src: ptr}}), // r1 = event
		asm.Mov.Imm(asm.R2, 0), // r2 = flags 0
		fn.Call(),              // bpf_ringbuf_submit/discard(r1, r2)
	)
}

// Output calls bpf_ringbuf_output(&ring, fp+off, sizeof(T), 0): it copies
// the event built on the stack at fp+off into the ring. The result (0 or a
// negative errno, -EAGAIN when full) is in R0; R0..R5 are clobbered.
func (r *RingBuf[T]) Output(off int16) asm.Instructions {
	checkStack(fmt.Sprintf("ring buffer %s: Output event", r.Name), off, int(r.ValueSize))
	return Seq(
		fpPtr(asm.R2, off), // r2 = fp + off: the event
		r.LoadPtr(asm.R1),  // r1 = &ring
		asm.Instructions{
			asm.Mov.Imm(asm.R3, int32(r.ValueSize)), // r3 = sizeof(event)
			asm.Mov.Imm(asm.R4, 0),                  // r4 = flags 0
			asm.FnRingbufOutput.Call(),              // r0 = bpf_ringbuf_output(r1, r2, r3, r4)
		},
	)
}
