package btfx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Raw reads raw BTF (the format of /sys/kernel/btf/vmlinux and of a
// module's /sys/kernel/btf/<module>, which is split BTF on top of vmlinux)
// without decoding it: one pass over the type headers indexes where each
// type starts and finds the types asked for by kind and name; everything
// else is read in place when a caller follows a type ID. A struct_ops loader
// needs a few dozen of the kernel's ~130,000 types, so this costs a
// fraction of building cilium/ebpf's whole type graph (btf.LoadKernelSpec).
//
// The kernel's BTF is in the host's byte order; Raw reads only that.
type Raw struct {
	base    *Raw
	data    []byte // the whole blob: mmapped, copied or read
	source  Source
	types   []byte
	strs    []byte
	firstID TypeID // ID of the first type of this blob (1, or the base's next ID)
	strBase uint32 // string offsets below this are the base's
	// offs[i] is where type firstID+i*stride starts in types: a sparse
	// index (a few KB for vmlinux instead of half a MB), from which Type
	// walks at most stride-1 headers
	offs    []uint32
	ntypes  int // types in this blob (so far, while paged scans it)
	indexed bool
	name    string // the file, for errors
	// paged reads a base blob on demand (paged.go); nil once it is read
	// whole, and for a blob in memory
	paged *paged
}

// stride is how many types one entry of the sparse index covers.
const stride = 32

// TypeID is a BTF type ID; 0 is void.
type TypeID uint32

// Kind is a BTF kind (BTF_KIND_* of include/uapi/linux/btf.h).
type Kind uint8

// The BTF kinds.
const (
	KindUnknown Kind = iota
	KindInt
	KindPtr
	KindArray
	KindStruct
	KindUnion
	KindEnum
	KindFwd
	KindTypedef
	KindVolatile
	KindConst
	KindRestrict
	KindFunc
	KindFuncProto
	KindVar
	KindDatasec
	KindFloat
	KindDeclTag
	KindTypeTag
	KindEnum64
)

// Encodings of a BTF int (BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL).
const (
	IntSigned = 1
	IntChar   = 2
	IntBool   = 4
)

const (
	btfMagic   = 0xeb9f
	typeHdrLen = 12
)

var ne = binary.NativeEndian

// Open maps the raw BTF at path (read-only and private, as the kernel's sysfs
// file supports mmap since Linux 6.16) or, where mmap is refused (older
// kernels, module files), reads it. base is the BTF a split blob (a
// module's) builds on, nil for vmlinux.
func Open(path string, base *Raw) (*Raw, error) {
	return open(path, base, false)
}

// open is Open; vmlinux: where the file cannot be mapped, read it paged
// (OpenVmlinux).
func open(path string, base *Raw, vmlinux bool) (*Raw, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
		}
	}()
	size, err := fileSize(f)
	if err != nil {
		return nil, err
	}
	parse := func(data []byte, src Source) (*Raw, error) {
		r, err := Parse(data, base)
		if err != nil {
			if src != SourceRead {
				unix.Munmap(data)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r.source, r.name = src, path
		return r, nil
	}
	if size > 0 {
		if data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE); err == nil {
			return parse(data, SourceMmap)
		}
	}
	if vmlinux && base == nil {
		r, err := openPaged(path, f, func() ([]byte, Source, error) { return vmlinuxWhole(f, size) })
		if err != nil {
			return nil, err
		}
		r.name, keep = path, true
		return r, nil
	}
	// sysfs reports a size, but not every kernel maps the file: read it
	data, err := readAll(f, size)
	if err != nil {
		return nil, err
	}
	return parse(data, SourceRead)
}

// vmlinuxWhole reads all of the vmlinux BTF file f where the kernel does
// not map it: copied in one BPF_OBJ_GET_INFO_BY_FD out of the kernel's
// vmlinux BTF object where the caller may (CAP_SYS_ADMIN), else read.
func vmlinuxWhole(f *os.File, size int64) ([]byte, Source, error) {
	if size > 0 {
		if data, err := vmlinuxObject(int(size)); err == nil {
			return data, SourceObject, nil
		}
	}
	data, err := readAll(io.NewSectionReader(f, 0, 1<<31-1), size)
	return data, SourceRead, err
}

func readAll(f io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + 1)
	}
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Parse reads the header of the raw BTF in data (kept, not copied).
func Parse(data []byte, base *Raw) (*Raw, error) {
	if len(data) < 24 {
		return nil, errors.New("btf: shorter than its header")
	}
	h, err := parseHeader(data, int64(len(data)))
	if err != nil {
		return nil, err
	}
	r := &Raw{
		base:    base,
		data:    data,
		types:   data[h.typesAt : h.typesAt+int64(h.typesLen)],
		strs:    data[h.strsAt : h.strsAt+int64(h.strsLen)],
		firstID: 1,
		source:  SourceBytes,
	}
	if base != nil && base.paged != nil {
		// the first ID is pinned (PinFirstID) or found when needed
		r.firstID = 0
		r.strBase = base.strBase + uint32(base.paged.strsLen)
	} else if base != nil {
		if !base.indexed {
			if err := base.index(nil, nil); err != nil {
				return nil, err
			}
		}
		r.firstID = base.firstID + TypeID(base.ntypes)
		r.strBase = base.strBase + uint32(len(base.strs))
	}
	return r, nil
}

// Close releases the mapping (or the buffer). Nothing read from r may be
// used afterwards, except strings (copied).
func (r *Raw) Close() error {
	if r != nil && r.base != nil {
		r.base.unsplit(r)
	}
	if r != nil && r.paged != nil && r.paged.closer != nil {
		err := r.paged.closer.Close()
		*r = Raw{}
		return err
	}
	if r == nil || r.data == nil {
		return nil
	}
	var err error
	if r.source == SourceMmap || r.source == SourceObject {
		err = unix.Munmap(r.data)
	}
	*r = Raw{}
	return err
}

// Base returns the BTF r is split on, nil for a base blob.
func (r *Raw) Base() *Raw { return r.base }

// Want is a type looked up by kind and name.
type Want struct {
	Kind Kind
	Name string
}

// nameBytes is the NUL-terminated string at off, in this blob or its base.
func (r *Raw) nameBytes(off uint32) []byte {
	for r.base != nil && off < r.strBase {
		r = r.base
	}
	off -= r.strBase
	if r.paged != nil {
		return r.paged.str(off)
	}
	if int(off) >= len(r.strs) {
		return nil
	}
	s := r.strs[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s
}

// Type is one BTF type, read in place.
type Type struct {
	ID       TypeID
	Kind     Kind
	Name     string
	KindFlag bool
	Vlen     int
	// SizeOrType is the size of an int, enum, struct, union or float and
	// the target of the other kinds that refer to one type.
	SizeOrType uint32
	raw        *Raw   // the blob the type is in
	extra      []byte // the data after the header
}

// Type returns the type with the given ID (in r or its base). ID 0 is void.
func (r *Raw) Type(id TypeID) (Type, error) {
	if id == 0 {
		return Type{Name: "void"}, nil
	}
	if err := r.needFirst(); err != nil {
		return Type{}, err
	}
	for r.base != nil && id < r.firstID {
		r = r.base
	}
	if r.paged != nil {
		if err := r.scanTo(id); err != nil {
			return Type{}, err
		}
	} else if !r.indexed {
		if err := r.index(nil, nil); err != nil {
			return Type{}, err
		}
	}
	if id < r.firstID || int(id-r.firstID) >= r.ntypes {
		return Type{}, fmt.Errorf("btf: no type %d", id)
	}
	i := int(id - r.firstID)
	off := int(r.offs[i/stride])
	size, err := r.typeLen(off)
	for k := 0; k < i%stride && err == nil; k++ {
		off += size
		size, err = r.typeLen(off)
	}
	if err != nil {
		return Type{}, err
	}
	info := ne.Uint32(r.types[off+4:])
	name := string(r.nameBytes(ne.Uint32(r.types[off:])))
	if err := r.Err(); err != nil {
		return Type{}, err
	}
	return Type{
		ID:         id,
		Kind:       Kind(info >> 24 & 0x1f),
		Name:       name,
		KindFlag:   info>>31 == 1,
		Vlen:       int(info & 0xffff),
		SizeOrType: ne.Uint32(r.types[off+8:]),
		raw:        r,
		extra:      r.types[off+typeHdrLen : off+size],
	}, nil
}

// Member is a member of a struct or union.
type Member struct {
	Name         string
	Type         TypeID
	BitOffset    uint32
	BitfieldSize uint32
}

// Members returns the members of a struct or union (nil for other kinds).
func (t Type) Members() []Member {
	if t.Kind != KindStruct && t.Kind != KindUnion {
		return nil
	}
	ms := make([]Member, t.Vlen)
	for i := range ms {
		ms[i] = t.member(i)
	}
	return ms
}

func (t Type) member(i int) Member {
	b := t.extra[12*i:]
	m := Member{Type: TypeID(ne.Uint32(b[4:])), BitOffset: ne.Uint32(b[8:])}
	if t.KindFlag {
		m.BitfieldSize, m.BitOffset = m.BitOffset>>24, m.BitOffset&0xffffff
	}
	if off := ne.Uint32(b); off != 0 {
		m.Name = string(t.raw.nameBytes(off))
	}
	return m
}

// memberNamed returns the index of the member called name, -1 if none,
// comparing in place.
func (t Type) memberNamed(name string) int {
	for i := 0; i < t.Vlen && (t.Kind == KindStruct || t.Kind == KindUnion); i++ {
		if off := ne.Uint32(t.extra[12*i:]); off != 0 && string(t.raw.nameBytes(off)) == name {
			return i
		}
	}
	return -1
}

// Param is a parameter of a function prototype.
type Param struct {
	Name string
	Type TypeID
}

// Params returns the parameters of a function prototype.
func (t Type) Params() []Param {
	if t.Kind != KindFuncProto {
		return nil
	}
	ps := make([]Param, t.Vlen)
	for i := range ps {
		b := t.extra[8*i:]
		ps[i].Type = TypeID(ne.Uint32(b[4:]))
	}
	return ps
}

// EnumValue is a value of an enum.
type EnumValue struct {
	Name  string
	Value uint64
}

// EnumValues returns the values of an enum or enum64 (nil for other
// kinds), as cilium/ebpf's btf.Enum has them: a signed 32-bit enum's
// values sign-extended to 64 bits.
func (t Type) EnumValues() []EnumValue {
	var vs []EnumValue
	switch t.Kind {
	case KindEnum:
		for i := range t.Vlen {
			b := t.extra[8*i:]
			v := uint64(ne.Uint32(b[4:]))
			if t.KindFlag {
				v = uint64(int32(v))
			}
			vs = append(vs, EnumValue{Name: string(t.raw.nameBytes(ne.Uint32(b))), Value: v})
		}
	case KindEnum64:
		for i := range t.Vlen {
			b := t.extra[12*i:]
			v := uint64(ne.Uint32(b[8:]))<<32 | uint64(ne.Uint32(b[4:]))
			vs = append(vs, EnumValue{Name: string(t.raw.nameBytes(ne.Uint32(b))), Value: v})
		}
	}
	return vs
}

// IntEncoding is the encoding of an int (IntSigned, IntChar, IntBool).
func (t Type) IntEncoding() uint8 {
	if t.Kind != KindInt || len(t.extra) < 4 {
		return 0
	}
	return uint8(ne.Uint32(t.extra) >> 24 & 0x0f)
}

// maxDepth bounds chains of typedefs, qualifiers and arrays (corrupt BTF
// may loop).
const maxDepth = 64

// Underlying skips typedefs, qualifiers and type tags.
func (r *Raw) Underlying(id TypeID) (Type, error) {
	for range maxDepth {
		t, err := r.Type(id)
		if err != nil {
			return Type{}, err
		}
		switch t.Kind {
		case KindTypedef, KindVolatile, KindConst, KindRestrict, KindTypeTag:
			id = TypeID(t.SizeOrType)
		default:
			return t, nil
		}
	}
	return Type{}, fmt.Errorf("btf: type %d: typedefs and qualifiers nested too deeply", id)
}

// Sizeof is the size of a type in bytes, as btf.Sizeof computes it.
func (r *Raw) Sizeof(id TypeID) (int, error) {
	n := 1
	for range maxDepth {
		t, err := r.Type(id)
		if err != nil {
			return 0, err
		}
		switch t.Kind {
		case KindInt, KindEnum, KindEnum64, KindStruct, KindUnion, KindDatasec, KindFloat:
			return n * int(t.SizeOrType), nil
		case KindPtr:
			return n * 8, nil
		case KindArray:
			n *= int(ne.Uint32(t.extra[8:]))
			id = TypeID(ne.Uint32(t.extra))
		case KindTypedef, KindVolatile, KindConst, KindRestrict, KindTypeTag, KindVar:
			id = TypeID(t.SizeOrType)
		default:
			return 0, fmt.Errorf("btf: type %d (%s, kind %d) has no size", t.ID, t.Name, t.Kind)
		}
	}
	return 0, fmt.Errorf("btf: type %d nested too deeply", id)
}

// FindMemberRaw finds member name of the struct or union id (after
// typedefs and qualifiers), looking into anonymous members as FindMember
// does, and returns it with its byte offset.
func (r *Raw) FindMemberRaw(id TypeID, name string) (Member, int, bool, error) {
	return r.findMember(id, name, 0)
}

func (r *Raw) findMember(id TypeID, name string, depth int) (Member, int, bool, error) {
	if depth > maxDepth {
		return Member{}, 0, false, fmt.Errorf("btf: type %d: anonymous members nested too deeply", id)
	}
	t, err := r.Underlying(id)
	if err != nil {
		return Member{}, 0, false, err
	}
	if t.Kind != KindStruct && t.Kind != KindUnion {
		return Member{}, 0, false, nil
	}
	if i := t.memberNamed(name); i >= 0 {
		m := t.member(i)
		return m, int(m.BitOffset / 8), true, nil
	}
	for i := range t.Vlen {
		if ne.Uint32(t.extra[12*i:]) != 0 {
			continue
		}
		m := t.member(i)
		in, off, ok, err := r.findMember(m.Type, name, depth+1)
		if err != nil {
			return Member{}, 0, false, err
		}
		if ok {
			return in, int(m.BitOffset/8) + off, true, nil
		}
	}
	return Member{}, 0, false, nil
}
