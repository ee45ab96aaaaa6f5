// Package btfx holds the BTF lookups the generator (gen) and the runtime
// (bpf) share, so the two agree on what a field's offset is.
package btfx

import "github.com/cilium/ebpf/btf"

// FindMember finds member name of a struct or union, looking into
// anonymous members, and returns it with its byte offset.
func FindMember(t btf.Type, name string) (btf.Member, int, bool) {
	var members []btf.Member
	switch c := btf.UnderlyingType(t).(type) {
	case *btf.Struct:
		members = c.Members
	case *btf.Union:
		members = c.Members
	default:
		return btf.Member{}, 0, false
	}
	for _, m := range members {
		if m.Name == name {
			return m, int(m.Offset.Bytes()), true
		}
	}
	for _, m := range members {
		if m.Name == "" {
			if in, off, ok := FindMember(m.Type, name); ok {
				return in, int(m.Offset.Bytes()) + off, true
			}
		}
	}
	return btf.Member{}, 0, false
}
