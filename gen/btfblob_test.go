package gen

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/gen/read/btfspec"
	"github.com/structops/structops-gen/gen/read/builtin"
)

// The BTF blobs under testdata/btf are inputs of the error catalogue
// (cmd/structops-gen/testdata/errors) and seeds of FuzzLoadBTF. They are
// built here from cilium/ebpf's marshaller; go test ./gen -update rewrites
// them, and TestBTFBlobs keeps the committed files equal to what this code
// builds.

const btfBlobDir = "testdata/btf"

var btfInt = &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}

// btfOpsTypes declares the struct_ops type name with callbacks of the given
// parameter counts (params < 0: variadic) and its value type
// bpf_struct_ops_<name>.
func btfOpsTypes(name string, params ...int) []btf.Type {
	st := &btf.Struct{Name: name, Size: uint32(8 * len(params))}
	for i, n := range params {
		fp := &btf.FuncProto{Return: btfInt}
		for j := range max(n, 1) {
			if n < 0 {
				fp.Params = append(fp.Params, btf.FuncParam{Name: "fmt", Type: &btf.Pointer{Target: &btf.Const{Type: &btf.Int{Name: "char", Size: 1, Encoding: btf.Char}}}})
				fp.Params = append(fp.Params, btf.FuncParam{Type: &btf.Void{}})
				break
			}
			fp.Params = append(fp.Params, btf.FuncParam{Name: fmt.Sprintf("a%d", j+1), Type: btfInt})
		}
		st.Members = append(st.Members, btf.Member{Name: fmt.Sprintf("cb_%d", i+1), Type: &btf.Pointer{Target: fp},
			Offset: btf.Bits(64 * i)})
	}
	value := &btf.Struct{Name: "bpf_struct_ops_" + name, Size: 8 + st.Size, Members: []btf.Member{
		{Name: "common", Type: &btf.Int{Name: "long", Size: 8, Encoding: btf.Signed}},
		{Name: "data", Type: st, Offset: 64},
	}}
	return []btf.Type{st, value}
}

func btfMarshal(tb testing.TB, types []btf.Type) []byte {
	tb.Helper()
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := b.Marshal(nil, &btf.MarshalOptions{Order: binary.LittleEndian})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// btfOpsBlob registers foo_ops (two callbacks), wide_ops (13 arguments) and
// vararg_ops (a variadic callback).
func btfOpsBlob(tb testing.TB) []byte {
	var types []btf.Type
	types = append(types, btfOpsTypes("foo_ops", 1, 2)...)
	types = append(types, btfOpsTypes("wide_ops", 13)...)
	types = append(types, btfOpsTypes("vararg_ops", -1)...)
	return btfMarshal(tb, types)
}

// btfSplitBlobs returns a base blob holding int and a split (module-like)
// blob on top of it that registers mod_ops, whose callbacks use the base's
// int.
func btfSplitBlobs(tb testing.TB) (base, split []byte) {
	return btfSplit(tb, []btf.Type{btfInt}, btfOpsTypes("mod_ops", 1))
}

// btfModBadBlobs returns a base blob holding int and struct kthing, and a
// split blob on it that registers mod_bad_ops, which a module cannot be
// generated from (--emit-module): a variadic callback, a context struct
// holding the kernel's struct kthing by value, a bitfield member.
func btfModBadBlobs(tb testing.TB) (base, split []byte) {
	kthing := &btf.Struct{Name: "kthing", Size: 4, Members: []btf.Member{{Name: "a", Type: btfInt}}}
	ctx := &btf.Struct{Name: "mod_ctx", Size: 8, Members: []btf.Member{
		{Name: "k", Type: kthing}, {Name: "x", Type: btfInt, Offset: 32}}}
	ops := btfOpsTypes("mod_bad_ops", 1, -1, 1)
	st := ops[0].(*btf.Struct)
	st.Members[0].Name = "on_ctx"
	st.Members[0].Type.(*btf.Pointer).Target.(*btf.FuncProto).Params[0] = btf.FuncParam{Name: "ctx", Type: &btf.Pointer{Target: ctx}}
	st.Members[1].Name = "log"
	st.Members[2] = btf.Member{Name: "flags", Type: btfInt, Offset: 128, BitfieldSize: 3}
	return btfSplit(tb, []btf.Type{btfInt, kthing}, append([]btf.Type{ctx}, ops...))
}

// btfSplit marshals baseTypes as base BTF and mod as split BTF on it.
func btfSplit(tb testing.TB, baseTypes, mod []btf.Type) (base, split []byte) {
	tb.Helper()
	base = btfMarshal(tb, baseTypes)
	full := btfMarshal(tb, append(slices.Clone(baseTypes), mod...))
	bh, fh := btfHeader(tb, base), btfHeader(tb, full)
	baseRaw := base[bh.HdrLen+bh.TypeOff:][:bh.TypeLen]
	baseStrings := base[bh.HdrLen+bh.StringOff:][:bh.StringLen]
	types := full[fh.HdrLen+fh.TypeOff:][:fh.TypeLen]
	strs := full[fh.HdrLen+fh.StringOff:][:fh.StringLen]
	if !bytes.HasPrefix(types, baseRaw) || !bytes.HasPrefix(strs, baseStrings) {
		tb.Fatal("the full blob does not start with the base's types and strings")
	}
	types, strs = types[len(baseRaw):], strs[len(baseStrings):]
	h := btfRawHeader{Magic: 0xeb9f, Version: 1, HdrLen: 24, TypeOff: 0, TypeLen: uint32(len(types)),
		StringOff: uint32(len(types)), StringLen: uint32(len(strs))}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, h)
	buf.Write(types)
	buf.Write(strs)
	return base, buf.Bytes()
}

type btfRawHeader struct {
	Magic     uint16
	Version   uint8
	Flags     uint8
	HdrLen    uint32
	TypeOff   uint32
	TypeLen   uint32
	StringOff uint32
	StringLen uint32
}

func btfHeader(tb testing.TB, raw []byte) btfRawHeader {
	tb.Helper()
	var h btfRawHeader
	if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, &h); err != nil {
		tb.Fatal(err)
	}
	return h
}

// elfObject builds a little-endian ELF64 BPF relocatable object with the
// given sections (name, contents), enough for debug/elf.
func elfObject(sections ...[2]string) []byte {
	shstr := []byte{0}
	type sec struct {
		name uint32
		data []byte
		typ  elf.SectionType
	}
	secs := []sec{{}}
	for _, s := range sections {
		secs = append(secs, sec{uint32(len(shstr)), []byte(s[1]), elf.SHT_PROGBITS})
		shstr = append(append(shstr, s[0]...), 0)
	}
	secs = append(secs, sec{uint32(len(shstr)), nil, elf.SHT_STRTAB})
	shstr = append(shstr, ".shstrtab\x00"...)
	secs[len(secs)-1].data = shstr

	var body bytes.Buffer
	offsets := make([]uint64, len(secs))
	off := uint64(64)
	for i, s := range secs {
		offsets[i] = off
		body.Write(s.data)
		off += uint64(len(s.data))
	}
	for off%8 != 0 {
		body.WriteByte(0)
		off++
	}
	h := elf.Header64{
		Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_BPF), Version: uint32(elf.EV_CURRENT),
		Shoff: off, Ehsize: 64, Shentsize: 64, Shnum: uint16(len(secs)), Shstrndx: uint16(len(secs) - 1),
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, h)
	out.Write(body.Bytes())
	for i, s := range secs {
		sh := elf.Section64{Name: s.name, Type: uint32(s.typ), Off: offsets[i], Size: uint64(len(s.data)), Addralign: 1}
		if i == 0 {
			sh = elf.Section64{}
		}
		binary.Write(&out, binary.LittleEndian, sh)
	}
	return out.Bytes()
}

// btfBlobs returns every committed blob by file name.
func btfBlobs(tb testing.TB) map[string][]byte {
	ops := btfOpsBlob(tb)
	base, split := btfSplitBlobs(tb)
	badBase, badSplit := btfModBadBlobs(tb)
	corrupt := bytes.Clone(ops)
	// the type section claims more bytes than the blob has
	binary.LittleEndian.PutUint32(corrupt[12:], 0x7fff0000)
	flipped := bytes.Clone(ops)
	// the first type's info word: an unknown kind
	flipped[24+4+3] ^= 0x7f
	return map[string][]byte{
		"ops.btf":         ops,
		"ops.o":           elfObject([2]string{".text", "\x95\x00\x00\x00\x00\x00\x00\x00"}, [2]string{".BTF", string(ops)}),
		"nobtf.o":         elfObject([2]string{".text", "\x95\x00\x00\x00\x00\x00\x00\x00"}),
		"truncated.btf":   ops[:len(ops)/2],
		"corrupt.btf":     corrupt,
		"badkind.btf":     flipped,
		"base.btf":        base,
		"mod_ops.btf":     split,
		"modbad_base.btf": badBase,
		"modbad.btf":      badSplit,
		"cycle.btf":       btfCycleBlob(tb),
	}
}

func TestBTFBlobs(t *testing.T) {
	for name, want := range btfBlobs(t) {
		path := filepath.Join(btfBlobDir, name)
		if *update {
			if err := os.MkdirAll(btfBlobDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./gen -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what btfblob_test.go builds (go test ./gen -update rewrites it)", path)
		}
	}
	// what the blobs are for
	if _, err := btfspec.Load(filepath.Join(btfBlobDir, "ops.o"), ""); err != nil {
		t.Errorf("ops.o: %v", err)
	}
	f, err := btfspec.Load(filepath.Join(btfBlobDir, "mod_ops.btf"), filepath.Join(btfBlobDir, "base.btf"))
	if err != nil {
		t.Fatalf("mod_ops.btf on base.btf: %v", err)
	}
	if o, err := btfspec.Read(f, "mod_ops"); err != nil || len(o.Callbacks()) != 1 || o.Callbacks()[0].Func.Params[0].Type.C != "int" {
		t.Errorf("mod_ops from split BTF: %+v, %v", o, err)
	}
	for _, bad := range []string{"nobtf.o", "truncated.btf", "corrupt.btf", "badkind.btf"} {
		if _, err := btfspec.Load(filepath.Join(btfBlobDir, bad), filepath.Join(btfBlobDir, "base.btf")); err == nil {
			t.Errorf("%s: loaded, want an error", bad)
		}
	}
}

// TestDistilledBaseModule: a module built out of tree for Debian's 7.3
// kernel (bpf_testmod.ko from module/, reduced to its .BTF and .BTF.base
// sections with objcopy --only-section) carries pahole's distilled base:
// its .BTF is split on .BTF.base, not on any vmlinux, and reads back as
// the spec it was generated from even with a --btf-base that does not
// exist.
func TestDistilledBaseModule(t *testing.T) {
	f, err := btfspec.Load(filepath.Join(btfBlobDir, "distilled.ko"), filepath.Join(t.TempDir(), "no-such-vmlinux"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Module != "distilled" {
		t.Errorf("module name %q, want distilled (from the file name)", f.Module)
	}
	o, err := btfspec.Read(f, "bpf_testmod_ops")
	if err != nil {
		t.Fatal(err)
	}
	if d := builtin.Ops().Equal(o); d != "" {
		t.Errorf("distilled.ko's bpf_testmod_ops differs from the built-in spec: %s", d)
	}
}

// TestRefStubsFromBTF: the __ref marks of a generated module live only on
// its CFI stubs; reading the built module's BTF (refs.ko: the golden refs
// module built for Debian's 7.3 kernel, reduced with objcopy
// --only-section=.BTF --only-section=.BTF.base) finds them again.
func TestRefStubsFromBTF(t *testing.T) {
	spec, err := Load(Spec{Header: "testdata/headers/refs.h"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := btfspec.Load(filepath.Join(btfBlobDir, "refs.ko"), "")
	if err != nil {
		t.Fatal(err)
	}
	built, err := btfspec.Read(f, "refs_ops")
	if err != nil {
		t.Fatal(err)
	}
	if d := spec.Equal(built); d != "" {
		t.Errorf("refs.ko's refs_ops differs from refs.h: %s", d)
	}
	if got, want := strings.Join(built.Refs(), ","), "on_task.task,on_cgroup.cgrp,both.t,both.c"; got != want {
		t.Errorf("__ref arguments from the BTF: %q, want %q", got, want)
	}
	for _, m := range built.Callbacks() {
		for _, p := range m.Func.Params {
			if p.Ref && p.RefRelease() == "" {
				t.Errorf("%s.%s: __ref without a release kfunc", m.Name, p.Name)
			}
		}
	}
	// read from a module's BTF, the type is an existing one: no module is
	// generated, and its loader looks for no trigger
	fs, err := Render(built, Options{GoImport: "example.com/refs"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if strings.HasPrefix(f.Path, "module/") {
			t.Errorf("an existing type got a module file %s", f.Path)
		}
		if strings.HasSuffix(f.Path, "/ops.go") && !strings.Contains(string(f.Data), "NoTrigger: true") {
			t.Errorf("%s lacks NoTrigger: true:\n%s", f.Path, f.Data)
		}
	}
}
