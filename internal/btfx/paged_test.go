package btfx

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sysfsReader serves at most a page per ReadAt, as kernfs serves a sysfs
// binary attribute, and counts the calls.
type sysfsReader struct {
	data  []byte
	calls int
}

func (s *sysfsReader) ReadAt(b []byte, off int64) (int, error) {
	s.calls++
	if off >= int64(len(s.data)) {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), 4096)], s.data[off:])
	return n, nil
}

// sameType compares what a caller reads of a type: header, members,
// parameters and enum values with their names.
func sameType(t *testing.T, what string, got, want Type) {
	t.Helper()
	if got.ID != want.ID || got.Kind != want.Kind || got.Name != want.Name || got.KindFlag != want.KindFlag ||
		got.Vlen != want.Vlen || got.SizeOrType != want.SizeOrType || !bytes.Equal(got.extra, want.extra) {
		t.Fatalf("%s: type %d paged %+v, whole %+v", what, want.ID, got, want)
	}
	if !reflect.DeepEqual(got.Members(), want.Members()) || !reflect.DeepEqual(got.Params(), want.Params()) ||
		!reflect.DeepEqual(got.EnumValues(), want.EnumValues()) {
		t.Fatalf("%s: type %d (%s): members, parameters or values differ", what, want.ID, want.Name)
	}
}

// TestPagedVmlinux: the running kernel's vmlinux BTF read paged (through a
// reader that serves a page per call) gives every type and name the whole
// blob gives; following the first types reads a small part of the blob,
// and a Lookup reads it whole and finds what the whole blob's Lookup finds.
func TestPagedVmlinux(t *testing.T) {
	data, err := os.ReadFile(vmlinuxPath)
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	whole, err := Parse(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := whole.Lookup(nil); err != nil {
		t.Fatal(err)
	}
	src := &sysfsReader{data: data}
	p, err := ParsePaged(src, int64(len(data)), data)
	if err != nil {
		t.Fatal(err)
	}
	// the first 2,000 types, as a module's references mostly are
	for id := TypeID(1); id <= 2000; id++ {
		w, _ := whole.Type(id)
		g, err := p.Type(id)
		if err != nil {
			t.Fatal(err)
		}
		sameType(t, "first types", g, w)
	}
	if p.Source() != SourcePaged || p.BytesRead() > len(data)/8 {
		t.Errorf("following the first 2,000 types read %d of %d bytes (%s)", p.BytesRead(), len(data), p.Source())
	}
	t.Logf("the first 2,000 types: %d of %d bytes in %d reads", p.BytesRead(), len(data), src.calls)
	// then every 61st type to the end, and past it
	for id := TypeID(2001); int(id) <= whole.ntypes; id += 61 {
		w, _ := whole.Type(id)
		g, err := p.Type(id)
		if err != nil {
			t.Fatal(err)
		}
		sameType(t, "sample", g, w)
	}
	if _, err := p.Type(TypeID(whole.ntypes + 1)); err == nil {
		t.Error("a type ID past the last type: no error")
	}
	wants := []Want{{KindStruct, "bpf_struct_ops_tcp_congestion_ops"}, {KindStruct, "task_struct"}, {KindFunc, "bpf_task_acquire"}, {KindInt, "int"}}
	want, _ := whole.Lookup(wants)
	got, err := p.Lookup(wants)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || p.Source() == SourcePaged || p.BytesRead() != len(data) {
		t.Errorf("Lookup on the paged blob: %v (%s, %d bytes read), whole: %v", got, p.Source(), p.BytesRead(), want)
	}
	w, _ := whole.Type(want[1])
	g, _ := p.Type(want[1])
	sameType(t, "after the Lookup", g, w)
}

// TestPinFirstID: a module's blob on a paged base gets its first ID from
// its value type without reading the base whole; the ID is checked when
// the base is read whole, and a blob on the wrong base is reported then.
// Where the blob has no value type, the first ID comes from reading the
// base whole.
func TestPinFirstID(t *testing.T) {
	read := func(name string) []byte { return fixture(t, name) }
	paged := func(name string) *Raw { return pagedBytes(t, read(name)) }
	eagerBase, _ := Parse(read("base.btf"), nil)
	eager, err := Parse(read("mod_ops.btf"), eagerBase)
	if err != nil {
		t.Fatal(err)
	}
	wantFirst, _ := eager.FirstID()

	base := paged("base.btf")
	mod, _ := Parse(read("mod_ops.btf"), base)
	if ok, err := mod.PinFirstID("bpf_struct_ops_mod_ops", "data", "mod_ops"); !ok || err != nil {
		t.Fatalf("PinFirstID: %v, %v", ok, err)
	}
	if first, _ := mod.FirstID(); first != wantFirst {
		t.Errorf("pinned first ID %d, the base's type count gives %d", first, wantFirst)
	}
	ids, err := mod.Lookup([]Want{{KindStruct, "bpf_struct_ops_mod_ops"}, {KindStruct, "mod_ops"}})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs, _ := eager.Lookup([]Want{{KindStruct, "bpf_struct_ops_mod_ops"}, {KindStruct, "mod_ops"}})
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("IDs %v, on the indexed base %v", ids, wantIDs)
	}
	for id := TypeID(1); int(id) < int(wantFirst)+eager.ntypes; id++ {
		w, _ := eager.Type(id)
		g, err := mod.Type(id)
		if err != nil {
			t.Fatal(err)
		}
		sameType(t, "mod_ops.btf", g, w)
	}
	if base.Source() != SourcePaged {
		t.Errorf("the base was read whole (%s)", base.Source())
	}
	if _, err := base.Lookup(nil); err != nil {
		t.Errorf("the base read whole: %v", err)
	}

	// mod_ops.btf on a base with one type more (same strings): pinned the
	// same, refused once the base is counted
	wrong := pagedBytes(t, oneTypeMore(t, read("base.btf")))
	mod, _ = Parse(read("mod_ops.btf"), wrong)
	if ok, err := mod.PinFirstID("bpf_struct_ops_mod_ops", "data", "mod_ops"); !ok || err != nil {
		t.Fatalf("PinFirstID on the wrong base: %v, %v", ok, err)
	}
	if _, err := wrong.Lookup(nil); err == nil || !strings.Contains(err.Error(), "does not belong to this base") {
		t.Errorf("a split blob on the wrong base: %v", err)
	}

	// no such value type: not pinned, the first ID from the base read whole
	base = paged("base.btf")
	mod, _ = Parse(read("mod_ops.btf"), base)
	if ok, err := mod.PinFirstID("bpf_struct_ops_other", "data", "other"); ok || err != nil {
		t.Fatalf("PinFirstID of a type the blob lacks: %v, %v", ok, err)
	}
	if first, err := mod.FirstID(); first != wantFirst || err != nil {
		t.Errorf("first ID %d (%v), want %d", first, err, wantFirst)
	}
	if base.Source() == SourcePaged {
		t.Error("the first ID of an unpinned blob did not read the base whole")
	}
}

func pagedBytes(t *testing.T, data []byte) *Raw {
	t.Helper()
	r, err := ParsePaged(bytes.NewReader(data), int64(len(data)), data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// oneTypeMore appends a pointer to type 1 to the types of the base blob
// data (a 24-byte header, types, then strings).
func oneTypeMore(t *testing.T, data []byte) []byte {
	t.Helper()
	hdrLen, typeLen := ne.Uint32(data[4:]), ne.Uint32(data[12:])
	if hdrLen != 24 || ne.Uint32(data[8:]) != 0 || ne.Uint32(data[16:]) != typeLen {
		t.Fatal("the base blob is not laid out as header, types, strings")
	}
	ptr := make([]byte, 12)
	ne.PutUint32(ptr[4:], uint32(KindPtr)<<24)
	ne.PutUint32(ptr[8:], 1)
	end := 24 + typeLen
	out := append(append(append([]byte{}, data[:end]...), ptr...), data[end:]...)
	ne.PutUint32(out[12:], typeLen+12)
	ne.PutUint32(out[16:], typeLen+12)
	return out
}

// fixture reads one of gen's BTF fixtures (gen/testdata/btf).
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "gen", "testdata", "btf", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failingReader fails every read at or past off.
type failingReader struct {
	data []byte
	off  int64
}

func (f failingReader) ReadAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > f.off {
		return 0, errors.New("injected read error")
	}
	return copy(b, f.data[off:]), nil
}

// TestPagedEdges: pinning after the base was read whole, closing a pinned
// blob, a failed read of the strings, and a refused pin that stays refused.
func TestPagedEdges(t *testing.T) {
	baseData, modData := fixture(t, "base.btf"), fixture(t, "mod_ops.btf")
	eagerBase, _ := Parse(baseData, nil)
	eager, _ := Parse(modData, eagerBase)
	wantFirst, _ := eager.FirstID()

	// the base read whole between parsing the module and pinning it
	base := pagedBytes(t, baseData)
	mod, _ := Parse(modData, base)
	if _, err := base.Lookup(nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := mod.PinFirstID("bpf_struct_ops_mod_ops", "data", "mod_ops"); !ok || err != nil {
		t.Errorf("PinFirstID after the base was read whole: %v, %v", ok, err)
	}
	if first, _ := mod.FirstID(); first != wantFirst {
		t.Errorf("first ID %d, want %d", first, wantFirst)
	}

	// a pinned blob closed: the base forgets it
	base = pagedBytes(t, baseData)
	mod, _ = Parse(modData, base)
	if ok, err := mod.PinFirstID("bpf_struct_ops_mod_ops", "data", "mod_ops"); !ok || err != nil {
		t.Fatalf("PinFirstID: %v, %v", ok, err)
	}
	mod.Close()
	if _, err := base.Lookup(nil); err != nil {
		t.Errorf("the base read whole after a pinned blob was closed: %v", err)
	}

	// the strings cannot be read: an error, not an empty name
	strsAt := int64(24 + ne.Uint32(baseData[16:]))
	p, err := ParsePaged(failingReader{baseData, strsAt}, int64(len(baseData)), baseData)
	if err != nil {
		t.Fatal(err)
	}
	if ty, err := p.Type(1); err == nil || !strings.Contains(err.Error(), "injected read error") {
		t.Errorf("Type(1) with unreadable strings: %+v, %v", ty, err)
	}

	// a blob on the wrong base: refused, and refused again
	wrong := pagedBytes(t, oneTypeMore(t, baseData))
	mod, _ = Parse(modData, wrong)
	if ok, err := mod.PinFirstID("bpf_struct_ops_mod_ops", "data", "mod_ops"); !ok || err != nil {
		t.Fatalf("PinFirstID on the wrong base: %v, %v", ok, err)
	}
	for i := range 2 {
		if _, err := wrong.Lookup(nil); err == nil {
			t.Errorf("Lookup %d on the wrong base: no error", i+1)
		}
	}
}
