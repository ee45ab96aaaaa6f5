package btfx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// SourcePaged: the file read where and when a caller needs its bytes
// (paged.go): the type section from its start up to the highest type ID
// followed, and the pages of the strings named; the whole blob is read
// only when a lookup by name needs every type.
const SourcePaged Source = "paged"

// paged is how a base blob (vmlinux) that the kernel does not map is read
// without copying all of it: a struct_ops load of a module's type follows
// a few dozen of vmlinux's types, most of them near its start (int, u32,
// the first structs), and names a few dozen of its strings. Type scans the
// type section in chunks up to the ID it is asked for; names are read a
// page at a time. The first Lookup reads the whole blob (whole), as a
// lookup by name must see every type.
type paged struct {
	path     string
	f        io.ReaderAt
	closer   io.Closer
	typesAt  int64 // file offsets of the two sections
	strsAt   int64
	typesLen int
	strsLen  int
	strPages map[int][]byte // pages of the string section by index
	scanOff  int            // the next type header of r.types to scan
	// whole reads the blob for the first Lookup; read counts the bytes
	// read so far
	whole  func() ([]byte, Source, error)
	read   int
	splits []*Raw // blobs split on this one whose first ID was pinned
	err    error  // the first failed read of strings (Raw.Err)
}

// typeChunk is how much of the type section Type reads at a time
// (kernfs serves a sysfs binary attribute a page per read, so one chunk
// is 16 reads).
const typeChunk = 64 << 10

// strPage is the unit in which names are read.
const strPage = 4096

// openPaged opens the raw BTF f (at path) for reading on demand; whole
// reads all of it when a lookup by name needs it.
func openPaged(path string, f *os.File, whole func() ([]byte, Source, error)) (*Raw, error) {
	size, err := fileSize(f)
	if err != nil {
		return nil, err
	}
	r, err := newPaged(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.paged.path, r.paged.closer, r.paged.whole = path, f, whole
	return r, nil
}

// ParsePaged is openPaged on any reader of size bytes (tests: a reader that
// serves a page per call, as sysfs does); whole is the bytes a Lookup reads.
func ParsePaged(ra io.ReaderAt, size int64, whole []byte) (*Raw, error) {
	r, err := newPaged(ra, size)
	if err != nil {
		return nil, err
	}
	r.paged.whole = func() ([]byte, Source, error) { return whole, SourceBytes, nil }
	return r, nil
}

// newPaged reads and checks the header of the raw BTF in ra (size bytes,
// 0: unknown) and returns a paged Raw that has read nothing else.
func newPaged(ra io.ReaderAt, size int64) (*Raw, error) {
	var hdr [24]byte
	if _, err := ra.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("read the header: %w", err)
	}
	h, err := parseHeader(hdr[:], size)
	if err != nil {
		return nil, err
	}
	h.f, h.read, h.strPages = ra, len(hdr), map[int][]byte{}
	return &Raw{firstID: 1, source: SourcePaged, paged: h}, nil
}

// parseHeader checks the BTF header at the start of hdr (24 bytes at
// least) of a blob of size bytes (0: unknown) and returns where its
// sections are.
func parseHeader(hdr []byte, size int64) (*paged, error) {
	if ne.Uint16(hdr) != btfMagic {
		return nil, errors.New("btf: bad magic (not BTF, or not in the host's byte order)")
	}
	hdrLen := ne.Uint32(hdr[4:])
	typeOff, typeLen := ne.Uint32(hdr[8:]), ne.Uint32(hdr[12:])
	strOff, strLen := ne.Uint32(hdr[16:]), ne.Uint32(hdr[20:])
	in := func(off, n uint32) bool {
		e := uint64(hdrLen) + uint64(off) + uint64(n)
		return e < 1<<31 && (size <= 0 || e <= uint64(size))
	}
	if !in(typeOff, typeLen) || hdrLen < 24 {
		return nil, errors.New("btf: type section out of bounds")
	}
	if !in(strOff, strLen) {
		return nil, errors.New("btf: string section out of bounds")
	}
	return &paged{
		typesAt: int64(hdrLen) + int64(typeOff), typesLen: int(typeLen),
		strsAt: int64(hdrLen) + int64(strOff), strsLen: int(strLen),
	}, nil
}

// BytesRead is how many bytes of the blob r has read: all of them (for a
// mapping: all it may touch), except for a paged blob that no Lookup has
// needed whole.
func (r *Raw) BytesRead() int {
	if r.paged != nil {
		return r.paged.read
	}
	return len(r.data)
}

// Size is the blob's size in bytes.
func (r *Raw) Size() int {
	if r.paged != nil {
		return int(max(r.paged.typesAt+int64(r.paged.typesLen), r.paged.strsAt+int64(r.paged.strsLen)))
	}
	return len(r.data)
}

// scanTo scans the type section of a paged blob until type id is indexed
// (or the section ends), reading chunks as it goes.
func (r *Raw) scanTo(id TypeID) error {
	p := r.paged
	for int(id-r.firstID) >= r.ntypes {
		if p.scanOff+typeHdrLen > len(r.types) {
			if err := r.readTypes(p.scanOff + typeHdrLen); err != nil {
				return err
			}
			if p.scanOff+typeHdrLen > len(r.types) {
				return nil // the section ends: no such type
			}
		}
		info := ne.Uint32(r.types[p.scanOff+4:])
		kind := info >> 24 & 0x1f
		l := kindLen[kind]
		if !l.known {
			return fmt.Errorf("btf: type at offset %d: unknown kind %d", p.scanOff, kind)
		}
		n := typeHdrLen + int(l.fixed) + int(l.perVlen)*int(info&0xffff)
		if p.scanOff+n > len(r.types) {
			if err := r.readTypes(p.scanOff + n); err != nil {
				return err
			}
			if p.scanOff+n > len(r.types) {
				return fmt.Errorf("btf: type at offset %d: truncated", p.scanOff)
			}
		}
		if r.ntypes%stride == 0 {
			r.offs = append(r.offs, uint32(p.scanOff))
		}
		r.ntypes++
		p.scanOff += n
	}
	return nil
}

// readTypes reads the type section on to at least n bytes (a chunk at
// least; less where the section ends).
func (r *Raw) readTypes(n int) error {
	p := r.paged
	have := len(r.types)
	n = min(max(n, have+typeChunk), p.typesLen)
	if n <= have {
		return nil
	}
	r.types = slices.Grow(r.types, n-have)[:n]
	if err := readFull(p.f, r.types[have:n], p.typesAt+int64(have)); err != nil {
		r.types = r.types[:have]
		return fmt.Errorf("btf: %s: read types: %w", p.path, err)
	}
	p.read += n - have
	return nil
}

// str is the NUL-terminated string at off of a paged blob's string
// section, read a page at a time.
func (p *paged) str(off uint32) []byte {
	var s []byte
	for o := int(off); o < p.strsLen; {
		i := o / strPage
		page, ok := p.strPages[i]
		if !ok {
			page = make([]byte, min(strPage, p.strsLen-i*strPage))
			if err := readFull(p.f, page, p.strsAt+int64(i*strPage)); err != nil {
				if p.err == nil {
					p.err = fmt.Errorf("btf: %s: read strings at offset %d: %w", p.path, i*strPage, err)
				}
				return nil
			}
			p.strPages[i] = page
			p.read += len(page)
		}
		rest := page[o-i*strPage:]
		if j := bytes.IndexByte(rest, 0); j >= 0 {
			if s == nil {
				return rest[:j]
			}
			return append(s, rest[:j]...)
		}
		s = append(s, rest...)
		o += len(rest)
	}
	return s
}

// readFull fills b from offset off of f, in as many reads as f needs.
func readFull(f io.ReaderAt, b []byte, off int64) error {
	_, err := io.ReadFull(io.NewSectionReader(f, off, int64(len(b))), b)
	return err
}

// readWhole replaces the paged reading of r by the whole blob, for a
// Lookup by name; the types already followed stay valid (their bytes are
// kept where they are).
func (r *Raw) readWhole() error {
	p := r.paged
	data, src, err := p.whole()
	if err != nil {
		return fmt.Errorf("btf: %s: %w", p.path, err)
	}
	fail := func(err error) error {
		if src == SourceObject || src == SourceMmap {
			unix.Munmap(data)
		}
		return err
	}
	whole, err := Parse(data, nil)
	if err == nil {
		err = whole.index(nil, nil)
	}
	if err != nil {
		return fail(fmt.Errorf("btf: %s: %w", p.path, err))
	}
	if len(whole.types) != p.typesLen || len(whole.strs) != p.strsLen {
		return fail(fmt.Errorf("btf: %s: the blob read whole differs from its header read before", p.path))
	}
	// the blobs split on r whose first ID was pinned: checked before r
	// changes, so the error stays
	next := r.firstID + TypeID(whole.ntypes)
	for _, s := range p.splits {
		if s.firstID != next {
			return fail(fmt.Errorf("btf: %s: a blob split on it%s pinned its first type ID at %d, but its last type is %d: the blob does not belong to this base",
				p.path, nameSuffix(s.name), s.firstID, next-1))
		}
	}
	if p.closer != nil {
		p.closer.Close()
	}
	r.data, r.types, r.strs, r.source = data, whole.types, whole.strs, src
	r.offs, r.ntypes, r.indexed, r.paged = whole.offs, whole.ntypes, true, nil
	return nil
}

// nameSuffix is " (name)", or "" for a blob without a file name.
func nameSuffix(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

// unsplit forgets the blob s split on r (s is closed).
func (r *Raw) unsplit(s *Raw) {
	if r != nil && r.paged != nil {
		r.paged.splits = slices.DeleteFunc(r.paged.splits, func(x *Raw) bool { return x == s })
	}
}

// Err is the first error reading a paged blob's strings (or its base's):
// a name read then is empty, so Type, Lookup and PinFirstID report it.
func (r *Raw) Err() error {
	for ; r != nil; r = r.base {
		if r.paged != nil && r.paged.err != nil {
			return r.paged.err
		}
	}
	return nil
}

// PinFirstID finds the first type ID of a blob split on a paged base
// without scanning the base: struct from of the blob has a member called
// member whose type is struct to, also in the blob (a struct_ops value
// type: bpf_struct_ops_<ops>, its member data and struct <ops>), so the
// member's type ID less to's position in the blob is the blob's first ID.
// It reports false, with r unchanged, where the blob does not have that
// shape (no such structs or member, or more than one struct to); then the
// first ID is found by scanning the base whole when r is first read. The
// ID is checked against the base's type count if the base is ever scanned
// whole.
func (r *Raw) PinFirstID(from, member, to string) (bool, error) {
	if r.base == nil {
		return false, nil
	}
	if r.firstID != 0 {
		return true, nil
	}
	if r.base.paged == nil {
		// the base is read whole already: its type count
		return true, r.needFirst()
	}
	// positions in the blob, counted from a first ID above any real one
	const provisional = TypeID(1 << 31)
	r.firstID = provisional
	defer func() {
		if r.firstID == provisional {
			r.firstID = 0
		}
	}()
	ids, err := r.Lookup([]Want{{KindStruct, from}, {KindStruct, to}})
	if err != nil || ids[0] == 0 || ids[1] == 0 {
		return false, err
	}
	for id := ids[1] + 1; int(id-provisional) < r.ntypes; id++ {
		t, err := r.Type(id)
		if err != nil {
			return false, err
		}
		if t.Kind == KindStruct && t.Name == to {
			return false, nil // which one the member means is not known
		}
	}
	ft, err := r.Type(ids[0])
	if err != nil {
		return false, err
	}
	i := ft.memberNamed(member)
	if err := r.Err(); err != nil {
		return false, err
	}
	if i < 0 {
		return false, nil
	}
	target := ft.member(i).Type
	pos := ids[1] - provisional
	if target <= pos+1 || target >= provisional {
		return false, nil
	}
	first := target - pos
	// the base's types are at least a header each
	if int(first-1) > r.base.paged.typesLen/typeHdrLen {
		return false, nil
	}
	r.firstID = first
	r.base.paged.splits = append(r.base.paged.splits, r)
	return true, nil
}

// FirstID is the ID of the blob's first type (it scans a paged base whole
// when the ID is not pinned).
func (r *Raw) FirstID() (TypeID, error) {
	if err := r.needFirst(); err != nil {
		return 0, err
	}
	return r.firstID, nil
}

// needFirst sets the first ID of a blob split on a paged base that
// PinFirstID did not pin, by scanning the base whole.
func (r *Raw) needFirst() error {
	if r.base == nil || r.firstID != 0 {
		return nil
	}
	if r.base.paged != nil {
		if err := r.base.readWhole(); err != nil {
			return err
		}
	}
	r.firstID = r.base.firstID + TypeID(r.base.ntypes)
	return nil
}
