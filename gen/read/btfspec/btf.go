// Package btfspec is the BTF spec reader: it reads an existing struct_ops
// type from the BTF of a kernel or module (ELF .BTF or raw) into a model.
package btfspec

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/internal/btfx"
)

// DefaultBTFBase is the BTF that module (split) BTF is resolved against
// unless --btf-base names another.
const DefaultBTFBase = "/sys/kernel/btf/vmlinux"

// structOpsPrefix starts the name of the value type the kernel registers
// for each struct_ops type: struct bpf_struct_ops_<name> { common; data; }.
const structOpsPrefix = "bpf_struct_ops_"

// File is a loaded BTF spec and what it was read from.
type File struct {
	Path string
	Spec *btf.Spec
	// Module is the module name when the BTF is a module's (split BTF):
	// the .ko's name, or the file name under /sys/kernel/btf.
	Module string
}

// Load reads BTF from an ELF object with a .BTF section (a .ko, a
// vmlinux) or from raw BTF (/sys/kernel/btf/<name>). BTF that does not
// stand alone is module BTF: it is resolved against basePath (default:
// the running kernel's vmlinux BTF).
func Load(path, basePath string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the BTF: %w: pass an ELF object with a .BTF section or raw BTF (/sys/kernel/btf/<name>)", err)
	}
	return LoadData(path, data, basePath)
}

// ErrBase is what an error wraps when split BTF cannot be read on its base:
// the base is missing, or it is not the BTF the split BTF was built on.
var ErrBase = errors.New("split BTF without a fitting base")

// baseError marks an error as ErrBase, its text unchanged.
type baseError struct{ error }

func (e baseError) Unwrap() error        { return e.error }
func (e baseError) Is(target error) bool { return target == ErrBase }

// LoadData is Load on data, the contents of path.
func LoadData(path string, data []byte, basePath string) (*File, error) {
	raw, isELF, err := readBTF(path, data)
	if err != nil {
		return nil, err
	}
	if isELF {
		// Out-of-tree modules of newer kernels (pahole's distilled_base)
		// carry their own base: .BTF is split on the small .BTF.base,
		// whatever vmlinux the module was built against.
		if base, ok, err := readSection(path, data, ".BTF.base"); err != nil {
			return nil, err
		} else if ok {
			bspec, err := btf.LoadSpecFromReader(bytes.NewReader(base))
			if err != nil {
				return nil, fmt.Errorf("%s: corrupt .BTF.base section: %w: rebuild the module", path, err)
			}
			spec, err := btf.LoadSplitSpecFromReader(bytes.NewReader(raw), bspec)
			if err != nil {
				return nil, fmt.Errorf("%s: corrupt BTF (split on its .BTF.base): %w: rebuild the module", path, err)
			}
			return &File{Path: path, Spec: spec, Module: moduleName(path, true)}, nil
		}
	}
	spec, standaloneErr := btf.LoadSpecFromReader(bytes.NewReader(raw))
	ko := isELF && strings.HasSuffix(path, ".ko")
	if standaloneErr == nil && !ko {
		return &File{Path: path, Spec: spec, Module: moduleName(path, false)}, nil
	}
	if standaloneErr != nil && !ko && !btfLooksSplit(raw) {
		// base BTF (its string table starts with the empty string) that is
		// damaged: no base would help
		return nil, fmt.Errorf("%s: corrupt BTF: %v: regenerate it (pahole, bpftool) or pass an ELF object with a .BTF section", path, standaloneErr)
	}
	// Not self-contained: split BTF on top of a base.
	defaulted := basePath == ""
	if defaulted {
		basePath = DefaultBTFBase
	}
	base, err := btf.LoadSpec(basePath)
	if err != nil {
		hint := ""
		if errors.Is(err, os.ErrNotExist) {
			hint = ": pass the vmlinux (or its raw BTF) this BTF was built against as its base"
		}
		if standaloneErr != nil {
			return nil, baseError{fmt.Errorf("%s: split (module) BTF needs its base: load base %s: %w%s", path, basePath, err, hint)}
		}
		return nil, fmt.Errorf("load BTF base %s: %w%s", basePath, err, hint)
	}
	spec, err = btf.LoadSplitSpecFromReader(bytes.NewReader(raw), base)
	if err != nil {
		hint := ""
		if defaulted {
			hint = ": split BTF of a module built for another kernel needs that kernel's vmlinux (or its raw BTF) as its base"
		}
		if standaloneErr != nil {
			return nil, baseError{fmt.Errorf("%s: corrupt or unsupported BTF (standalone: %v; split on %s: %w)%s", path, standaloneErr, basePath, err, hint)}
		}
		return nil, baseError{fmt.Errorf("%s: split BTF on %s: %w%s", path, basePath, err, hint)}
	}
	return &File{Path: path, Spec: spec, Module: moduleName(path, true)}, nil
}

// readBTF returns the raw BTF in data, the contents of path: its .BTF
// section when it is an ELF object, else the whole file.
func readBTF(path string, data []byte) (raw []byte, isELF bool, err error) {
	if len(data) == 0 {
		return nil, false, fmt.Errorf("%s: empty file, not BTF: pass an ELF object with a .BTF section or raw BTF (/sys/kernel/btf/<name>)", path)
	}
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		if len(data) < 4 || !(data[0] == 0x9f && data[1] == 0xeb) && !(data[0] == 0xeb && data[1] == 0x9f) {
			return nil, false, fmt.Errorf("%s: neither an ELF object nor raw BTF (no BTF magic 0xeb9f): pass an ELF object with a .BTF section or raw BTF (/sys/kernel/btf/<name>)", path)
		}
		return data, false, nil
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, true, fmt.Errorf("%s: corrupt ELF: %w: pass an intact object (rebuild it) or raw BTF (/sys/kernel/btf/<name>)", path, err)
	}
	sec := f.Section(".BTF")
	if sec == nil {
		hint := ": add BTF with pahole -J (from DWARF) or pass raw BTF (/sys/kernel/btf/<name>)"
		if strings.HasSuffix(path, ".ko") {
			hint = ": rebuild the module with BTF (KDIR/vmlinux with .BTF and pahole installed)"
		}
		return nil, true, fmt.Errorf("%s: ELF object has no .BTF section%s", path, hint)
	}
	raw, err = io.ReadAll(sec.Open())
	if err != nil {
		return nil, true, fmt.Errorf("%s: read .BTF section: %w: pass an intact object (rebuild it) or raw BTF (/sys/kernel/btf/<name>)", path, err)
	}
	return raw, true, nil
}

// readSection returns the contents of the named section of the ELF object
// data, if it has one.
func readSection(path string, data []byte, name string) ([]byte, bool, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, false, fmt.Errorf("%s: corrupt ELF: %w: pass an intact object (rebuild it)", path, err)
	}
	sec := f.Section(name)
	if sec == nil {
		return nil, false, nil
	}
	b, err := io.ReadAll(sec.Open())
	if err != nil {
		return nil, false, fmt.Errorf("%s: read %s section: %w: pass an intact object (rebuild it)", path, name, err)
	}
	return b, true, nil
}

// btfLooksSplit reports whether raw is split (module) BTF: its header is
// intact and its string table does not start with the empty string, which
// base BTF's must (libbpf and pahole start a split string table with the
// module's first name).
func btfLooksSplit(raw []byte) bool {
	if len(raw) < 24 {
		return false
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if raw[0] == 0xeb && raw[1] == 0x9f {
		order = binary.BigEndian
	}
	hdrLen := uint64(order.Uint32(raw[4:]))
	strOff, strLen := uint64(order.Uint32(raw[16:])), uint64(order.Uint32(raw[20:]))
	start := hdrLen + strOff
	return hdrLen >= 24 && strLen > 0 && start+strLen <= uint64(len(raw)) && raw[start] != 0
}

func moduleName(path string, split bool) string {
	if !split {
		return ""
	}
	name := path[strings.LastIndex(path, "/")+1:]
	name = strings.TrimSuffix(name, ".ko")
	return strings.ReplaceAll(name, "-", "_")
}

// StructOpsNames returns the struct_ops types the BTF registers (those with
// a bpf_struct_ops_<name> value type), sorted.
func StructOpsNames(spec *btf.Spec) ([]string, error) {
	var names []string
	for typ, err := range spec.All() {
		if err != nil {
			return nil, fmt.Errorf("read BTF: %w", err)
		}
		st, ok := typ.(*btf.Struct)
		if !ok || !strings.HasPrefix(st.Name, structOpsPrefix) {
			continue
		}
		for _, m := range st.Members {
			if d, ok := btf.UnderlyingType(m.Type).(*btf.Struct); ok && m.Name == "data" && structOpsPrefix+d.Name == st.Name {
				names = append(names, d.Name)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// Read builds the model of struct name from BTF. Types read this way
// already exist in the kernel (Kernel is set): callbacks may take any
// pointer and the struct may have data members.
func Read(f *File, name string) (*model.Ops, error) {
	var st *btf.Struct
	if err := f.Spec.TypeByName(name, &st); err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			msg := fmt.Sprintf("%s: no struct %s", f.Path, name)
			if names, lerr := StructOpsNames(f.Spec); lerr == nil {
				msg += suggest(name, names)
			}
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("%s: struct %s: %w", f.Path, name, err)
	}
	o := &model.Ops{Name: name, Size: int(st.Size), Kernel: true, KernelModule: f.Module,
		Source: "BTF of " + f.Path, Pos: model.Pos{File: f.Path}}
	var errs []error // every member's problem, one line each
	for i, m := range st.Members {
		mname := m.Name
		if mname == "" {
			mname = fmt.Sprintf("__anon%d", i)
		}
		mem := model.Member{Name: mname, Offset: int(m.Offset.Bytes()), Size: sizeof(m.Type), Pos: o.Pos}
		if m.BitfieldSize > 0 {
			mem.Size = (int(m.BitfieldSize) + 7) / 8
			t := model.Type{Kind: model.Opaque, Size: mem.Size, C: cSpell(m.Type) + " : bitfield"}
			mem.Data = &t
		} else if fp, ok := funcProto(m.Type); ok {
			fn, err := btfFunc(fp, stubParams(f.Spec, name, mname, fp))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: struct %s: member %s: %w", f.Path, name, mname, err))
			}
			mem.Func = fn
		} else {
			t := btfType(m.Type)
			mem.Data = &t
		}
		o.Members = append(o.Members, mem)
	}
	return o, errors.Join(errs...)
}

// funcProto reports whether t is a pointer to a function prototype.
func funcProto(t btf.Type) (*btf.FuncProto, bool) {
	p, ok := btf.UnderlyingType(t).(*btf.Pointer)
	if !ok {
		return nil, false
	}
	fp, ok := btf.UnderlyingType(p.Target).(*btf.FuncProto)
	return fp, ok
}

// stubParams returns the parameters of the CFI stub <ops>__<member>, whose
// names the function pointer's prototype lacks (and whose __nullable
// suffixes mark the arguments the kernel may pass as NULL), or nil.
//
// The kernel finds a stub through the type's cfi_stubs table, which BTF does
// not record, so the stub is found by name: <ops>__<member> (the newer
// convention, e.g. bpf_dummy_ops__test_1), else a bpf_* function named
// *_<member> whose prototype matches the member's (bpf_tcp_ca_ssthresh,
// bpf_dummy_test_2); the shortest such name wins.
func stubParams(spec *btf.Spec, ops, member string, proto *btf.FuncProto) []btf.FuncParam {
	var fn *btf.Func
	if spec.TypeByName(model.CFIStubName(ops, member), &fn) == nil {
		if fp, ok := fn.Type.(*btf.FuncProto); ok && sameProto(fp, proto) {
			return fp.Params
		}
	}
	var best *btf.FuncProto
	bestName := ""
	for _, f := range bpfFuncs(spec) {
		if !strings.HasSuffix(f.Name, "_"+member) {
			continue
		}
		fp, ok := f.Type.(*btf.FuncProto)
		if !ok || !sameProto(fp, proto) {
			continue
		}
		if best == nil || len(f.Name) < len(bestName) || len(f.Name) == len(bestName) && f.Name < bestName {
			best, bestName = fp, f.Name
		}
	}
	if best != nil {
		return best.Params
	}
	return nil
}

// bpfFuncCache holds bpfFuncs' answer for the last spec asked about:
// stubParams asks for every callback, and walking the whole vmlinux BTF
// each time made `list` cost members x types (BENCHMARKS.md).
var bpfFuncCache struct {
	sync.Mutex
	spec *btf.Spec
	fs   []*btf.Func
}

// bpfFuncs returns the functions of spec whose names start with bpf_, in
// type order (nil if the BTF cannot be read).
func bpfFuncs(spec *btf.Spec) []*btf.Func {
	c := &bpfFuncCache
	c.Lock()
	defer c.Unlock()
	if c.spec == spec {
		return c.fs
	}
	var fs []*btf.Func
	for typ, err := range spec.All() {
		if err != nil {
			return nil
		}
		if f, ok := typ.(*btf.Func); ok && strings.HasPrefix(f.Name, "bpf_") {
			fs = append(fs, f)
		}
	}
	c.spec, c.fs = spec, fs
	return fs
}

// sameProto reports whether two prototypes have the same return and
// parameter types (as the model sees them).
func sameProto(a, b *btf.FuncProto) bool {
	if b == nil || len(a.Params) != len(b.Params) || !btfType(a.Return).Same(btfType(b.Return)) {
		return false
	}
	for i := range a.Params {
		if !btfType(a.Params[i].Type).Same(btfType(b.Params[i].Type)) {
			return false
		}
	}
	return true
}

func btfFunc(fp *btf.FuncProto, stub []btf.FuncParam) (*model.Func, error) {
	fn := &model.Func{Return: btfType(fp.Return)}
	for i, p := range fp.Params {
		if _, ok := p.Type.(*btf.Void); ok && p.Name == "" && i == len(fp.Params)-1 {
			return nil, errors.New("variadic callback: struct_ops callbacks take a fixed argument list, so BPF cannot implement this type: pick another ops type")
		}
		name, nullable, ref := p.Name, false, false
		if len(stub) == len(fp.Params) {
			// the stub's names, and its __nullable and __ref marks even
			// when the prototype has names of its own
			var sname string
			sname, nullable, ref = model.ParseStubName(stub[i].Name)
			if name == "" {
				name = sname
			}
		}
		if name == "" {
			name = fmt.Sprintf("arg%d", i)
		}
		pt := btfType(p.Type)
		if pt.Kind == model.Opaque && pt.Size > model.MaxByValue || pt.Kind == model.Array {
			// the kernel passes a struct of at most 16 bytes by value
			return nil, fmt.Errorf("parameter %s: %s passed by value is not supported, so BPF cannot implement this type: pick another ops type", name, pt.C)
		}
		fn.Params = append(fn.Params, model.Param{Name: name, Type: pt, Nullable: nullable, Ref: ref && pt.Kind == model.StructPtr})
	}
	return fn, nil
}

func sizeof(t btf.Type) int {
	n, err := btf.Sizeof(t)
	if err != nil {
		return 0
	}
	return n
}

// btfType converts a BTF type to the model's, keeping a C spelling.
func btfType(t btf.Type) model.Type { return btfTypeDepth(t, 0) }

// maxTypeDepth bounds how deep btfType and cSpell follow type references:
// BTF may describe cycles without a named struct in between (a pointer to
// an array of such pointers), which would otherwise recurse forever.
const maxTypeDepth = 32

func btfTypeDepth(t btf.Type, depth int) model.Type {
	if depth > maxTypeDepth {
		return model.Type{Kind: model.Opaque, C: "void"}
	}
	spelled := cSpell(t)
	switch u := btf.UnderlyingType(t).(type) {
	case *btf.Void:
		return model.Type{Kind: model.Void, C: "void"}
	case *btf.Int:
		switch {
		case u.Encoding == btf.Bool:
			return model.Type{Kind: model.Bool, Size: int(u.Size), C: spelled}
		case u.Encoding == btf.Char:
			// plain char: the kernel builds with -funsigned-char since 6.2
			return model.Type{Kind: model.Int, Size: int(u.Size), C: spelled}
		}
		return model.Type{Kind: model.Int, Size: int(u.Size), Signed: u.Encoding == btf.Signed, C: spelled}
	case *btf.Enum:
		return model.Type{Kind: model.Int, Size: int(u.Size), Signed: u.Signed, C: spelled}
	case *btf.Pointer:
		target := btf.UnderlyingType(u.Target)
		switch tt := target.(type) {
		case *btf.Int:
			if tt.Size == 1 && isConst(u.Target) {
				return model.Type{Kind: model.CharPtr, Size: 8, C: spelled}
			}
		case *btf.Struct:
			name := tt.Name
			if name == "" {
				// a typedef'd anonymous struct: named by its typedef
				name = typedefName(u.Target)
			}
			return model.Type{Kind: model.StructPtr, Size: 8, Struct: name, C: spelled}
		case *btf.Fwd:
			if tt.Kind == btf.FwdStruct {
				return model.Type{Kind: model.StructPtr, Size: 8, Struct: tt.Name, C: spelled}
			}
		}
		return model.Type{Kind: model.Ptr, Size: 8, C: spelled}
	case *btf.Array:
		elem := btfTypeDepth(u.Type, depth+1)
		return model.Type{Kind: model.Array, Size: sizeof(t), Elem: &elem, Len: int(u.Nelems), C: spelled}
	}
	return model.Type{Kind: model.Opaque, Size: sizeof(t), C: spelled}
}

// cSpell spells a BTF type as C, keeping typedef names ("u32"), with a
// trailing "*" for pointers ("const char *", "struct sock *").
func cSpell(t btf.Type) string { return cSpellDepth(t, 0) }

func cSpellDepth(t btf.Type, depth int) string {
	if depth > maxTypeDepth {
		return "void"
	}
	cSpell := func(t btf.Type) string { return cSpellDepth(t, depth+1) }
	switch u := t.(type) {
	case nil:
		return "void"
	case *btf.Void:
		return "void"
	case *btf.Typedef:
		return u.Name
	case *btf.Int:
		return u.Name
	case *btf.Const:
		return "const " + cSpell(u.Type)
	case *btf.Volatile:
		return "volatile " + cSpell(u.Type)
	case *btf.Restrict:
		return cSpell(u.Type)
	case *btf.TypeTag:
		return cSpell(u.Type)
	case *btf.Struct:
		return "struct " + u.Name
	case *btf.Union:
		return "union " + u.Name
	case *btf.Enum:
		return "enum " + u.Name
	case *btf.Fwd:
		return u.Kind.String() + " " + u.Name
	case *btf.Pointer:
		if _, ok := btf.UnderlyingType(u.Target).(*btf.FuncProto); ok {
			return "void *"
		}
		s := cSpell(u.Target)
		if strings.HasSuffix(s, "*") {
			return s + "*"
		}
		return s + " *"
	case *btf.Array:
		return fmt.Sprintf("%s[%d]", cSpell(u.Type), u.Nelems)
	}
	return t.TypeName()
}

// suggest names the closest of names to name, for "did you mean".
func suggest(name string, names []string) string {
	if len(names) == 0 {
		return " (this BTF registers no struct_ops types)"
	}
	if best := model.Closest(name, names); best != "" {
		return fmt.Sprintf(": did you mean %s? (it registers %d struct_ops types)", best, len(names))
	}
	return fmt.Sprintf(" (its struct_ops types: %s)", strings.Join(names, ", "))
}

// Enums reads the values of the named enums from BTF, by enum and value
// name; an enum the BTF lacks is left out.
func Enums(spec *btf.Spec, names []string) map[string]map[string]uint64 {
	out := map[string]map[string]uint64{}
	for _, n := range names {
		var e *btf.Enum
		if spec.TypeByName(n, &e) != nil {
			continue
		}
		vs := make(map[string]uint64, len(e.Values))
		for _, v := range e.Values {
			vs[v.Name] = v.Value
		}
		out[n] = vs
	}
	return out
}

// ResolveFields resolves "struct.member[.member...]" paths against BTF:
// offset, size and signedness of an integer field, looking through
// anonymous structs and unions. A path that does not resolve keeps its
// reason in Err, which Validate reports.
func ResolveFields(spec *btf.Spec, rules []model.FieldRule) []model.Field {
	var out []model.Field
	for _, r := range rules {
		if f := resolveField(spec, r); f.Err == "" || !r.Optional {
			out = append(out, f)
		}
	}
	return out
}

func resolveField(spec *btf.Spec, r model.FieldRule) model.Field {
	f := model.Field{Path: r.Path, Writable: r.Writable}
	parts := strings.Split(r.Path, ".")
	if len(parts) < 2 {
		f.Err = "want struct.member, e.g. tcp_sock.snd_cwnd"
		return f
	}
	f.Struct, f.Member = parts[0], strings.Join(parts[1:], ".")
	var st *btf.Struct
	if err := spec.TypeByName(f.Struct, &st); err != nil {
		f.Err = fmt.Sprintf("no struct %s in the BTF", f.Struct)
		return f
	}
	var cur btf.Type = st
	off := 0
	for _, name := range parts[1:] {
		m, moff, ok := btfx.FindMember(cur, name)
		if !ok {
			f.Err = fmt.Sprintf("struct %s has no member %s", cur.TypeName(), name)
			return f
		}
		if m.BitfieldSize > 0 {
			f.Err = fmt.Sprintf("%s is a bitfield: read the bytes that hold it instead", name)
			return f
		}
		off += moff
		cur = btf.UnderlyingType(m.Type)
	}
	switch t := cur.(type) {
	case *btf.Pointer:
		if !r.Pointer {
			f.Err = fmt.Sprintf("is %s, not an integer: name an integer field below it", cSpell(cur))
			return f
		}
		f.Size, f.Pointer = 8, true
	case *btf.Int:
		f.Size, f.Signed = int(t.Size), t.Encoding == btf.Signed
	case *btf.Enum:
		f.Size, f.Signed = int(t.Size), t.Signed
	default:
		f.Err = fmt.Sprintf("is %s, not an integer: name an integer field below it", cSpell(cur))
		return f
	}
	if f.Size != 1 && f.Size != 2 && f.Size != 4 && f.Size != 8 {
		f.Err = fmt.Sprintf("is %d bytes; a field is read with a 1, 2, 4 or 8-byte load", f.Size)
	}
	f.Offset = off
	return f
}
