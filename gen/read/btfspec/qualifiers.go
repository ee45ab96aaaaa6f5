package btfspec

import "github.com/cilium/ebpf/btf"

// Looking through BTF qualifiers.

// unqual strips const, volatile, restrict and type tags.
func unqual(t btf.Type) btf.Type {
	for range maxTypeDepth {
		switch q := t.(type) {
		case *btf.Const:
			t = q.Type
		case *btf.Volatile:
			t = q.Type
		case *btf.Restrict:
			t = q.Type
		case *btf.TypeTag:
			t = q.Type
		default:
			return t
		}
	}
	return t
}

// typedefName is the name of the typedef t is, under qualifiers, or "".
func typedefName(t btf.Type) string {
	if td, ok := unqual(t).(*btf.Typedef); ok {
		return td.Name
	}
	return ""
}

func isConst(t btf.Type) bool {
	for range maxTypeDepth {
		switch q := t.(type) {
		case *btf.Const:
			return true
		case *btf.Volatile:
			t = q.Type
		case *btf.Typedef:
			t = q.Type
		default:
			return false
		}
	}
	return false
}
