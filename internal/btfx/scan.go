package btfx

import "fmt"

// The scan of a blob's types: it is all of a load's work on the kernel's
// BTF besides following a few IDs, once over vmlinux's ~130,000 type
// headers, so it is kept to a few loads and compares a type (under qemu's
// TCG emulation every guest instruction counts): a type's length comes from
// two tables indexed by its kind, and a wanted name is compared only when
// the first four bytes of the type's name match it.

// kindLen is, for each kind, the bytes after the 12-byte header: fixed
// plus perVlen times the type's vlen; known is false for kinds Raw does not
// read.
var kindLen = func() (t [32]struct {
	fixed, perVlen uint8
	known          bool
}) {
	for _, k := range []Kind{KindPtr, KindFwd, KindTypedef, KindVolatile, KindConst, KindRestrict, KindFunc, KindFloat, KindTypeTag} {
		t[k].known = true
	}
	for _, k := range []Kind{KindInt, KindVar, KindDeclTag} {
		t[k].fixed, t[k].known = 4, true
	}
	t[KindArray].fixed, t[KindArray].known = 12, true
	for _, k := range []Kind{KindStruct, KindUnion, KindDatasec, KindEnum64} {
		t[k].perVlen, t[k].known = 12, true
	}
	for _, k := range []Kind{KindEnum, KindFuncProto} {
		t[k].perVlen, t[k].known = 8, true
	}
	return t
}()

// typeLen is the length of the type at off, header and trailing data.
func (r *Raw) typeLen(off int) (int, error) {
	info := ne.Uint32(r.types[off+4:])
	kind := info >> 24 & 0x1f
	l := kindLen[kind]
	if !l.known {
		return 0, fmt.Errorf("btf: type at offset %d: unknown kind %d", off, kind)
	}
	n := typeHdrLen + int(l.fixed) + int(l.perVlen)*int(info&0xffff)
	if off+n > len(r.types) {
		return 0, fmt.Errorf("btf: type at offset %d: truncated", off)
	}
	return n, nil
}

// Lookup returns the ID of each wanted type in this blob (not its base),
// 0 where there is none; where several types have the kind and name, the
// first. The first Lookup (or Type) indexes the blob in the same pass.
func (r *Raw) Lookup(wants []Want) ([]TypeID, error) {
	ids := make([]TypeID, len(wants))
	return ids, r.index(wants, ids)
}

// wantKey is a wanted name's first four bytes (with its NUL, when it is
// shorter) as the host reads them, and the mask of the bytes that count.
type wantKey struct {
	kind      Kind
	key, mask uint32
}

func keyOf(w Want) wantKey {
	var b [4]byte
	n := copy(b[:], w.Name)
	if n < 4 {
		n++ // the NUL is b[n-1] already
	}
	var mask [4]byte
	for i := range n {
		mask[i] = 0xff
	}
	return wantKey{kind: w.Kind, key: ne.Uint32(b[:]), mask: ne.Uint32(mask[:])}
}

// match records id for the wants still unfound whose kind and name the
// type has; nameOff is the type's name.
func (r *Raw) match(wants []Want, keys []wantKey, ids []TypeID, id TypeID, kind Kind, nameOff uint32) {
	// the name's first four bytes, when they are all in this blob's strings
	var head uint32
	quick := false
	if nameOff >= r.strBase {
		if o := uint64(nameOff - r.strBase); o+4 <= uint64(len(r.strs)) {
			head, quick = ne.Uint32(r.strs[o:o+4]), true
		}
	}
	for i, k := range keys {
		if k.kind != kind || ids[i] != 0 || quick && head&k.mask != k.key {
			continue
		}
		if r.nameIs(nameOff, wants[i].Name) {
			ids[i] = id
		}
	}
}

// nameIs reports whether the string at off is name.
func (r *Raw) nameIs(off uint32, name string) bool {
	for r.base != nil && off < r.strBase {
		r = r.base
	}
	off -= r.strBase
	if r.paged != nil {
		return string(r.paged.str(off)) == name
	}
	end := uint64(off) + uint64(len(name))
	return end < uint64(len(r.strs)) && r.strs[end] == 0 && string(r.strs[off:end]) == name
}

// index walks all types, finding the wanted ones and, the first time,
// building the sparse index.
func (r *Raw) index(wants []Want, ids []TypeID) error {
	if r.paged != nil {
		// a lookup by name sees every type: read the blob whole
		if err := r.readWhole(); err != nil {
			return err
		}
	}
	if err := r.needFirst(); err != nil {
		return err
	}
	var kinds uint32 // bit k: some want is of kind k
	keys := make([]wantKey, len(wants))
	for i, w := range wants {
		kinds |= 1 << w.Kind
		keys[i] = keyOf(w)
	}
	build := !r.indexed
	var offs []uint32
	if build {
		// vmlinux averages about 30 bytes a type
		offs = make([]uint32, 0, len(r.types)/24/stride+1)
	}
	count := 0
	types := r.types
	for off := 0; off+typeHdrLen <= len(types); count++ {
		h := types[off : off+typeHdrLen : off+typeHdrLen]
		info := ne.Uint32(h[4:])
		kind := info >> 24 & 0x1f
		l := kindLen[kind]
		if !l.known {
			return fmt.Errorf("btf: type at offset %d: unknown kind %d", off, kind)
		}
		n := typeHdrLen + int(l.fixed) + int(l.perVlen)*int(info&0xffff)
		if off+n > len(types) {
			return fmt.Errorf("btf: type at offset %d: truncated", off)
		}
		if kinds&(1<<kind) != 0 {
			if nameOff := ne.Uint32(h); nameOff != 0 {
				r.match(wants, keys, ids, r.firstID+TypeID(count), Kind(kind), nameOff)
			}
		}
		if build && count%stride == 0 {
			offs = append(offs, uint32(off))
		}
		off += n
	}
	if build {
		r.offs, r.ntypes, r.indexed = offs, count, true
	}
	return r.Err()
}
