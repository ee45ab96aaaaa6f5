package btfspec

import "github.com/cilium/ebpf/btf"

// Looking through BTF qualifiers.

// typedefName is the name of the typedef t is, under qualifiers, or "".
func typedefName(t btf.Type) string {
	for range maxTypeDepth {
		switch q := t.(type) {
		case *btf.Typedef:
			return q.Name
		case *btf.Const:
			t = q.Type
		case *btf.Volatile:
			t = q.Type
		case *btf.Restrict:
			t = q.Type
		case *btf.TypeTag:
			t = q.Type
		default:
			return ""
		}
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
