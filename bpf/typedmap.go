package bpf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	sasm "github.com/structops/structops-gen/asm"
)

// Map is a declared map of a loaded implementation, read and written with
// its declared Go key and value types. Get one with MapOf. Its methods use
// the implementation's map: they fail once the implementation is closed.
type Map[K, V any] struct {
	m   *ebpf.Map
	def *sasm.MapDef
}

// MapOf returns the map decl of the loaded implementation i (a map some
// program of i uses). decl must be the declaration the programs were built
// with or one of the same name and shape.
func MapOf[K, V any](i *Impl, decl *sasm.Map[K, V]) (*Map[K, V], error) {
	m, def, err := i.declared(decl.Name)
	if err != nil {
		return nil, err
	}
	if def != decl.MapDef && !sameShape(def, decl.MapDef) {
		return nil, fmt.Errorf("map %s: declared as %s, loaded as %s: use the declaration the programs use", decl.Name, shape(decl.MapDef), shape(def))
	}
	if def.Type == ebpf.RingBuf {
		return nil, fmt.Errorf("map %s: a ring buffer: read it with RingBufOf", decl.Name)
	}
	return &Map[K, V]{m: m, def: def}, nil
}

// Raw is the underlying cilium/ebpf map.
func (m *Map[K, V]) Raw() *ebpf.Map { return m.m }

// Name is the map's name.
func (m *Map[K, V]) Name() string { return m.def.Name }

func (m *Map[K, V]) wantPerCPU(per bool, what string) error {
	if m.def.PerCPU() == per {
		return nil
	}
	if per {
		return fmt.Errorf("map %s: %s: a %s has one value per key, not one per CPU: use %s", m.def.Name, what, m.def.Type, what[:len(what)-len("PerCPU")])
	}
	return fmt.Errorf("map %s: %s: a %s has one value per CPU: use %sPerCPU (or Sum)", m.def.Name, what, m.def.Type, what)
}

// Lookup returns the value of key; an error wrapping ebpf.ErrKeyNotExist
// when a hash has no such key.
func (m *Map[K, V]) Lookup(key K) (V, error) {
	var v V
	if err := m.wantPerCPU(false, "Lookup"); err != nil {
		return v, err
	}
	if err := m.m.Lookup(key, &v); err != nil {
		return v, fmt.Errorf("map %s: lookup %v: %w", m.def.Name, key, err)
	}
	return v, nil
}

// LookupPerCPU returns the values of key of a per-CPU map, one per
// possible CPU.
func (m *Map[K, V]) LookupPerCPU(key K) ([]V, error) {
	if err := m.wantPerCPU(true, "LookupPerCPU"); err != nil {
		return nil, err
	}
	var vs []V
	if err := m.m.Lookup(key, &vs); err != nil {
		return nil, fmt.Errorf("map %s: lookup %v: %w", m.def.Name, key, err)
	}
	return vs, nil
}

// Update sets the value of key (creating a hash entry if needed).
func (m *Map[K, V]) Update(key K, value V) error {
	if err := m.wantPerCPU(false, "Update"); err != nil {
		return err
	}
	if err := m.m.Update(key, value, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("map %s: update %v: %w", m.def.Name, key, err)
	}
	return nil
}

// UpdatePerCPU sets the values of key of a per-CPU map, one per possible
// CPU (ebpf.MustPossibleCPU() of them).
func (m *Map[K, V]) UpdatePerCPU(key K, values []V) error {
	if err := m.wantPerCPU(true, "UpdatePerCPU"); err != nil {
		return err
	}
	if err := m.m.Update(key, values, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("map %s: update %v: %w", m.def.Name, key, err)
	}
	return nil
}

// Delete removes key from a hash.
func (m *Map[K, V]) Delete(key K) error {
	if err := m.m.Delete(key); err != nil {
		return fmt.Errorf("map %s: delete %v: %w", m.def.Name, key, err)
	}
	return nil
}

// Range calls fn for every entry until fn returns false (the kernel's
// order; a hash changed meanwhile may show an entry twice or not at all).
func (m *Map[K, V]) Range(fn func(K, V) bool) error {
	if err := m.wantPerCPU(false, "Range"); err != nil {
		return err
	}
	var (
		k K
		v V
	)
	it := m.m.Iterate()
	for it.Next(&k, &v) {
		if !fn(k, v) {
			return nil
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("map %s: iterate: %w", m.def.Name, err)
	}
	return nil
}

// RangePerCPU is Range for a per-CPU map: fn gets every CPU's value.
func (m *Map[K, V]) RangePerCPU(fn func(K, []V) bool) error {
	if err := m.wantPerCPU(true, "RangePerCPU"); err != nil {
		return err
	}
	var (
		k  K
		vs []V
	)
	it := m.m.Iterate()
	for it.Next(&k, &vs) {
		if !fn(k, vs) {
			return nil
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("map %s: iterate: %w", m.def.Name, err)
	}
	return nil
}

// Integer is a Go integer type: the values Sum adds.
type Integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Sum returns the value of key summed over all CPUs for a per-CPU map (a
// counter every CPU increments), the value itself otherwise.
func Sum[K any, V Integer](m *Map[K, V], key K) (V, error) {
	if !m.def.PerCPU() {
		return m.Lookup(key)
	}
	vs, err := m.LookupPerCPU(key)
	if err != nil {
		return 0, err
	}
	var sum V
	for _, v := range vs {
		sum += v
	}
	return sum, nil
}

// RingReader reads the events of a declared ring buffer as Go values of
// its event type, in the order the programs submitted them.
type RingReader[T any] struct {
	r   *ringbuf.Reader
	def *sasm.MapDef
}

// RingBufOf opens a reader of the ring buffer decl of the loaded
// implementation i. Close it when done.
func RingBufOf[T any](i *Impl, decl *sasm.RingBuf[T]) (*RingReader[T], error) {
	m, def, err := i.declared(decl.Name)
	if err != nil {
		return nil, err
	}
	if def.Type != ebpf.RingBuf || def.ValueSize != decl.ValueSize {
		return nil, fmt.Errorf("map %s: declared as %s, loaded as %s: use the declaration the programs use", decl.Name, shape(decl.MapDef), shape(def))
	}
	r, err := ringbuf.NewReader(m)
	if err != nil {
		return nil, fmt.Errorf("ring buffer %s: open a reader: %w", decl.Name, err)
	}
	return &RingReader[T]{r: r, def: def}, nil
}

// Read waits for the next event (until the deadline set with SetDeadline,
// when it returns an error wrapping os.ErrDeadlineExceeded) and decodes
// it.
func (r *RingReader[T]) Read() (T, error) {
	var v T
	rec, err := r.r.Read()
	if err != nil {
		return v, fmt.Errorf("ring buffer %s: read: %w", r.def.Name, err)
	}
	if len(rec.RawSample) < int(r.def.ValueSize) {
		return v, fmt.Errorf("ring buffer %s: a %d-byte event, want %d", r.def.Name, len(rec.RawSample), r.def.ValueSize)
	}
	if err := binary.Read(bytes.NewReader(rec.RawSample[:r.def.ValueSize]), binary.NativeEndian, &v); err != nil {
		return v, fmt.Errorf("ring buffer %s: decode: %w", r.def.Name, err)
	}
	return v, nil
}

// SetDeadline makes Read give up at t (the zero time: wait forever).
func (r *RingReader[T]) SetDeadline(t time.Time) { r.r.SetDeadline(t) }

// Close releases the reader; a blocked Read returns.
func (r *RingReader[T]) Close() error { return r.r.Close() }
