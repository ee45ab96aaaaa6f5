package bpf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/internal/btfx"
	"github.com/structops/structops-gen/internal/kernelrules"
)

// kernelBTF is the kernel's BTF as Load reads it: the raw blobs of vmlinux
// and, for a module's type, of the module (split on vmlinux), scanned in
// place for the few types a load needs (internal/btfx.Raw) instead of
// decoded whole. Where the kernel does not map vmlinux's file (before
// Linux 6.16), vmlinux is read paged: a module's type reads only the
// vmlinux types and strings it follows (tens of KB of ~5 MB), and vmlinux
// is read whole only when something must be found in it by name.
//
// Upstream, cilium/ebpf would make this unnecessary by letting a caller
// seed btf.Cache (or CollectionOptions) with the value type, attach target
// and kfunc IDs it already knows, or by resolving struct_ops map value types
// and StructOps AttachTo lazily by name (today: btf.Cache.Kernel()/Module()
// decode every type).
type kernelBTF struct {
	vmlinux *btfx.Raw
	module  *btfx.Raw // nil for a vmlinux type
	modName string
	// others are modules other than the ops' opened to find kfuncs
	others map[string]*btfx.Raw
}

// types is the blob the ops' own types are in (the module's, which
// reaches vmlinux through its base, or vmlinux).
func (k *kernelBTF) types() *btfx.Raw {
	if k.module != nil {
		return k.module
	}
	return k.vmlinux
}

func (k *kernelBTF) Close() {
	for _, r := range k.others {
		r.Close()
	}
	if k.module != nil {
		k.module.Close()
	}
	k.vmlinux.Close()
}

// opsTarget is what the kernel knows of a struct_ops type: the IDs and
// layout the struct_ops map and the programs are created with.
type opsTarget struct {
	valueID   btfx.TypeID // bpf_struct_ops_<ops>: btf_vmlinux_value_type_id
	valueSize int
	dataOff   int         // offset of struct <ops> in the value
	opsID     btfx.TypeID // struct <ops>: the programs' attach_btf_id
	ops       btfx.Type
	members   []btfx.Member // of struct <ops>, in order (index = expected_attach_type)
}

// member returns the kernel's member called name and its index.
func (t *opsTarget) member(name string) (btfx.Member, int, bool) {
	for i, m := range t.members {
		if m.Name == name {
			return m, i, true
		}
	}
	return btfx.Member{}, 0, false
}

// kernelRefs is what the programs of spec take from the kernel by name: the
// structs of the fields they access and the kfuncs they call.
func kernelRefs(spec *ebpf.CollectionSpec) (structs, kfuncs []string) {
	for _, name := range sortedKeys(spec.Programs) {
		for _, ins := range spec.Programs[name].Instructions {
			if f, ok := sasm.FieldOf(ins); ok && !slices.Contains(structs, f.Struct) {
				structs = append(structs, f.Struct)
			}
			if kf, ok := sasm.KfuncOf(ins); ok && !slices.Contains(kfuncs, kf) {
				kfuncs = append(kfuncs, kf)
			}
		}
	}
	return structs, kfuncs
}

// kernelLookup is the result of the one scan of each blob: type IDs by
// name, 0 where absent.
type kernelLookup struct {
	value   btfx.TypeID
	structs map[string]btfx.TypeID
	kfuncs  map[string]kfuncRef
	enums   map[string]btfx.TypeID // vmlinux's (checkEnumData)
}

// kfunc finds the kfunc a program calls as name: name itself, or where
// the kernel lacks it, the first of its renames the kernel has
// (kernelrules.KfuncRenames: sched_ext's 6.13 scx_bpf_dispatch ->
// scx_bpf_dsq_insert and the like), so one program runs on the kernels
// before and after a rename.
func (lk *kernelLookup) kfunc(name string) (kfuncRef, bool) {
	for _, n := range kernelrules.KfuncCandidates(name) {
		if ref, ok := lk.kfuncs[n]; ok {
			return ref, true
		}
	}
	return kfuncRef{}, false
}

// kfuncRef is where a kfunc is: its BTF ID and the module whose BTF has it
// ("" for vmlinux).
type kfuncRef struct {
	id     btfx.TypeID
	module string
}

// kernelWants are the types one scan of a blob looks for: the ops' value
// type, the structs and kfuncs the programs refer to, and the enums the
// data checks read (each as an enum and as an enum64).
type kernelWants struct {
	value                  string
	structs, kfuncs, enums []string
}

func (w kernelWants) list() []btfx.Want {
	l := []btfx.Want{{Kind: btfx.KindStruct, Name: w.value}}
	for _, s := range w.structs {
		// a struct by its tag, or a typedef of an anonymous struct
		// (typedef struct { ... } foo_t;) by its name
		l = append(l, btfx.Want{Kind: btfx.KindStruct, Name: s}, btfx.Want{Kind: btfx.KindTypedef, Name: s})
	}
	for _, f := range w.kfuncs {
		l = append(l, btfx.Want{Kind: btfx.KindFunc, Name: f})
	}
	for _, e := range w.enums {
		l = append(l, btfx.Want{Kind: btfx.KindEnum, Name: e}, btfx.Want{Kind: btfx.KindEnum64, Name: e})
	}
	return l
}

// record stores the IDs one scan found (ids in the order of list),
// keeping earlier finds; module is the blob's module, "" for vmlinux.
func (w kernelWants) record(lk *kernelLookup, ids []btfx.TypeID, module string) {
	if lk.value == 0 {
		lk.value = ids[0]
	}
	ids = ids[1:]
	for i, s := range w.structs {
		id := ids[2*i]
		if id == 0 {
			id = ids[2*i+1]
		}
		if lk.structs[s] == 0 && id != 0 {
			lk.structs[s] = id
		}
	}
	ids = ids[2*len(w.structs):]
	for i, f := range w.kfuncs {
		if _, ok := lk.kfuncs[f]; !ok && ids[i] != 0 {
			lk.kfuncs[f] = kfuncRef{id: ids[i], module: module}
		}
	}
	ids = ids[len(w.kfuncs):]
	for i, e := range w.enums {
		if id := max(ids[2*i], ids[2*i+1]); lk.enums[e] == 0 && id != 0 {
			lk.enums[e] = id
		}
	}
}

// openVmlinux opens vmlinux's BTF (a variable for tests: a file there is
// mapped, as sysfs is only from Linux 6.16 on).
var openVmlinux = btfx.OpenVmlinux

// openKernelBTF opens the kernel's BTF for ops and looks up, in one pass
// over each blob it reads, the value type of ops, the structs and the
// kfuncs the programs refer to and the enums the data checks read. It
// returns ops as it finds it: the module ops names when that module is
// loaded and its BTF has the value type (openNamedModule); else, as libbpf
// and cilium/ebpf look, vmlinux's if vmlinux has it, else the first loaded
// module's (in BTF ID order) whose BTF has it (located). Structs and kfuncs
// are looked up in the ops' module first, then vmlinux, then (kfuncs)
// every other loaded module; vmlinux is scanned only for what the module
// lacks. Names are compared exactly: cilium/ebpf's TypeByName also matches
// a name with a "___flavor" suffix, which this kernel's BTF may have
// besides (scx_bpf_dsq_insert___v2_impl).
func openKernelBTF(ops *Ops, structs, kfuncs []string) (*Ops, *kernelBTF, *kernelLookup, error) {
	vmlinux, err := openVmlinux(btfDir + "/vmlinux")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("struct_ops type %s: read the kernel's BTF: %w", ops.Name, permissionHint(err))
	}
	k := &kernelBTF{vmlinux: vmlinux}
	lk := &kernelLookup{structs: map[string]btfx.TypeID{}, kfuncs: map[string]kfuncRef{}, enums: map[string]btfx.TypeID{}}
	fail := func(err error) (*Ops, *kernelBTF, *kernelLookup, error) {
		k.Close()
		return nil, nil, nil, err
	}
	// every name a called kfunc may have on this kernel (kernelrules.KfuncRenames)
	var names []string
	for _, f := range kfuncs {
		for _, n := range kernelrules.KfuncCandidates(f) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	vw := kernelWants{value: "bpf_struct_ops_" + ops.Name, structs: structs, kfuncs: names, enums: enumNames(ops)}
	mw := kernelWants{value: vw.value, structs: structs, kfuncs: names}
	kops := ops
	mids, err := k.openNamedModule(ops, mw)
	if err != nil {
		return fail(err)
	}
	var vids []btfx.TypeID
	if mids == nil {
		if vids, err = vmlinux.Lookup(vw.list()); err != nil {
			return fail(fmt.Errorf("struct_ops type %s: read the kernel's BTF: %w", ops.Name, err))
		}
		kops, err = located(ops, func(module string) (bool, error) {
			if module == "" {
				return vids[0] != 0, nil
			}
			mod, err := btfx.Open(btfDir+"/"+module, vmlinux)
			if err != nil {
				return false, err
			}
			ids, err := mod.Lookup(mw.list())
			if err != nil || ids[0] == 0 {
				mod.Close()
				return false, err
			}
			k.module, k.modName, mids = mod, module, ids
			return true, nil
		})
		if err != nil {
			return fail(err)
		}
	}
	// the module's finds first: its kfuncs win, and its own structs
	if mids != nil {
		mw.record(lk, mids, k.modName)
	}
	if vids == nil && vw.inVmlinux(lk, kfuncs) {
		if vids, err = vmlinux.Lookup(vw.list()); err != nil {
			return fail(fmt.Errorf("struct_ops type %s: read the kernel's BTF: %w", ops.Name, err))
		}
	}
	if vids != nil {
		vw.record(lk, vids, "")
	}
	var missing []string
	for _, f := range kfuncs {
		if _, ok := lk.kfunc(f); !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		if err := k.findModuleKfuncs(missing, lk); err != nil {
			return fail(err)
		}
	}
	return kops, k, lk, nil
}

// inVmlinux reports whether the lookup still needs vmlinux's BTF after the
// module's: for a struct the module lacks, a kfunc (of those the programs
// call, kfuncs) the module lacks under the name called (vmlinux's of that
// name comes before the module's under a rename: kernelLookup.kfunc), or
// an enum.
func (w kernelWants) inVmlinux(lk *kernelLookup, kfuncs []string) bool {
	if len(w.enums) > 0 {
		return true
	}
	for _, s := range w.structs {
		if lk.structs[s] == 0 {
			return true
		}
	}
	for _, f := range kfuncs {
		if _, ok := lk.kfuncs[f]; !ok {
			return true
		}
	}
	return false
}

// openNamedModule looks the wants up in the BTF of the module ops names,
// when it is loaded and its BTF has the value type; nil IDs otherwise. It
// pins the module's first type ID from the value type's data member
// (btfx.Raw.PinFirstID), so where vmlinux's BTF is paged (kernels that do
// not map it) resolving a module's type reads only the few vmlinux types
// and strings it refers to. The named module comes before vmlinux and the
// other modules: libbpf and cilium/ebpf take vmlinux's value type, and
// then the first module's, which differs only when another BTF also has
// bpf_struct_ops_<ops>, where the module the spec names is the one meant.
func (k *kernelBTF) openNamedModule(ops *Ops, mw kernelWants) ([]btfx.TypeID, error) {
	if ops.Module == "" {
		return nil, nil
	}
	mod, err := btfx.Open(btfDir+"/"+ops.Module, k.vmlinux)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // not loaded: located reports it, or finds another module
	}
	if err != nil {
		return nil, fmt.Errorf("struct_ops type %s: read module %s's BTF: %w", ops.Name, ops.Module, permissionHint(err))
	}
	if _, err := mod.PinFirstID(mw.value, "data", ops.Name); err != nil {
		mod.Close()
		return nil, fmt.Errorf("struct_ops type %s: read module %s's BTF: %w", ops.Name, ops.Module, err)
	}
	ids, err := mod.Lookup(mw.list())
	if err != nil {
		mod.Close()
		return nil, fmt.Errorf("struct_ops type %s: read module %s's BTF: %w", ops.Name, ops.Module, err)
	}
	if ids[0] == 0 {
		mod.Close()
		return nil, nil
	}
	k.module, k.modName = mod, ops.Module
	return ids, nil
}

// rawEnums is enumValues of the enums the scan of vmlinux found.
func rawEnums(vmlinux *btfx.Raw, ids map[string]btfx.TypeID) enumValues {
	return func(name string) (map[string]uint64, bool) {
		id := ids[name]
		if id == 0 {
			return nil, false
		}
		t, err := vmlinux.Type(id)
		if err != nil {
			return nil, false
		}
		values := make(map[string]uint64, t.Vlen)
		for _, v := range t.EnumValues() {
			values[v.Name] = v.Value
		}
		return values, true
	}
}

// findModuleKfuncs looks for kfuncs in the BTF of every loaded module
// other than the ops'.
func (k *kernelBTF) findModuleKfuncs(names []string, lk *kernelLookup) error {
	entries, err := os.ReadDir(btfDir)
	if err != nil {
		return nil // no listing: the kfuncs stay unresolved and are reported
	}
	for _, e := range entries {
		mod := e.Name()
		if mod == "vmlinux" || mod == k.modName {
			continue
		}
		r, err := btfx.Open(btfDir+"/"+mod, k.vmlinux)
		if err != nil {
			continue // a module unloaded meanwhile, or unreadable: not this one
		}
		var wants []btfx.Want
		for _, f := range names {
			wants = append(wants, btfx.Want{Kind: btfx.KindFunc, Name: f})
		}
		ids, err := r.Lookup(wants)
		if err != nil {
			r.Close()
			continue
		}
		var rest []string
		for i, f := range names {
			if ids[i] != 0 {
				lk.kfuncs[f] = kfuncRef{id: ids[i], module: mod}
			} else {
				rest = append(rest, f)
			}
		}
		if len(rest) == len(names) {
			r.Close()
			continue
		}
		if k.others == nil {
			k.others = map[string]*btfx.Raw{}
		}
		k.others[mod] = r
		if names = rest; len(names) == 0 {
			return nil
		}
	}
	return nil
}

// resolveTarget finds the kernel's value type of ops and the struct_ops
// type in it, as cilium/ebpf's struct_ops map creation does (the member of
// bpf_struct_ops_<ops> whose type is struct <ops>).
func resolveTarget(ops *Ops, k *kernelBTF, lk *kernelLookup) (*opsTarget, error) {
	if lk.value == 0 {
		// a module's type is found by located or refused there
		return nil, fmt.Errorf("struct_ops type %s not found in the running kernel (vmlinux): %w", ops.Name, btf.ErrNotFound)
	}
	r := k.types()
	value, err := r.Type(lk.value)
	if err != nil {
		return nil, fmt.Errorf("struct_ops type %s: the kernel's BTF: %w", ops.Name, err)
	}
	t := &opsTarget{valueID: lk.value, valueSize: int(value.SizeOrType)}
	// a module's value type holds its own struct <ops> and vmlinux's
	// struct bpf_struct_ops_common_value: the module's members are read
	// first, so a paged vmlinux is not scanned to the latter
	first, err := r.FirstID()
	if err != nil {
		return nil, fmt.Errorf("struct_ops type %s: the kernel's BTF: %w", ops.Name, err)
	}
	members := value.Members()
	slices.SortStableFunc(members, func(a, b btfx.Member) int {
		return cmpBool(a.Type < first, b.Type < first)
	})
	for _, m := range members {
		mt, err := r.Type(m.Type)
		if err != nil {
			return nil, fmt.Errorf("struct_ops type %s: the kernel's BTF: %w", ops.Name, err)
		}
		if mt.Kind == btfx.KindStruct && mt.Name == ops.Name {
			t.opsID, t.ops, t.dataOff = m.Type, mt, int(m.BitOffset/8)
			break
		}
	}
	if t.opsID == 0 {
		return nil, fmt.Errorf("struct_ops type %s: the kernel's bpf_struct_ops_%s has no member of type struct %s", ops.Name, ops.Name, ops.Name)
	}
	t.members = t.ops.Members()
	return t, nil
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// checkTarget is checkKernelType on the raw BTF: every member the
// user-side struct fills in exists in the kernel's struct with the same
// size, and each callback's signature matches the kernel's.
func checkTarget(ops *Ops, spec *ebpf.CollectionSpec, r *btfx.Raw, t *opsTarget) error {
	user := spec.Maps[ops.Name].Value.(*btf.Struct)
	for _, um := range user.Members {
		km, _, found := t.member(um.Name)
		m, _ := ops.member(um.Name)
		what := "data member"
		if m.Func {
			what = "callback"
		}
		if !found {
			if m.Func {
				if _, used := spec.Programs[um.Name]; !used {
					continue // no program for it: nothing to fill in
				}
			}
			return fmt.Errorf("struct_ops type %s: the kernel's struct %s has no %s %s: regenerate from the running kernel's type", ops.Name, ops.Name, what, um.Name)
		}
		size, err := r.Sizeof(km.Type)
		if err != nil {
			return fmt.Errorf("struct_ops type %s: size of the kernel's %s: %w", ops.Name, um.Name, err)
		}
		if size != m.Size {
			return fmt.Errorf("struct_ops type %s: %s %s is %d bytes in the kernel, %d in the spec: regenerate from the running kernel's type", ops.Name, what, um.Name, size, m.Size)
		}
		if m.Func && m.Sig != nil {
			kernel, ok, err := rawSig(r, um.Name, km.Type)
			if err != nil {
				return fmt.Errorf("struct_ops type %s: the kernel's %s: %w", ops.Name, um.Name, err)
			}
			if err := compareSig(ops, *m.Sig, kernel, ok); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawSig is the asm layer's view of the function pointer type id: false
// when it is not a pointer to a function prototype.
func rawSig(r *btfx.Raw, name string, id btfx.TypeID) (sasm.Sig, bool, error) {
	ptr, err := r.Underlying(id)
	if err != nil || ptr.Kind != btfx.KindPtr {
		return sasm.Sig{}, false, err
	}
	fp, err := r.Underlying(btfx.TypeID(ptr.SizeOrType))
	if err != nil || fp.Kind != btfx.KindFuncProto {
		return sasm.Sig{}, false, err
	}
	sig := sasm.Sig{Name: name}
	if sig.Return, err = rawSasmType(r, btfx.TypeID(fp.SizeOrType)); err != nil {
		return sasm.Sig{}, false, err
	}
	for _, p := range fp.Params() {
		a, err := rawSasmType(r, p.Type)
		if err != nil {
			return sasm.Sig{}, false, err
		}
		sig.Args = append(sig.Args, a)
	}
	return sig, true, nil
}

// rawSasmType is sasmType on the raw BTF.
func rawSasmType(r *btfx.Raw, id btfx.TypeID) (sasm.Type, error) {
	if id == 0 {
		return sasm.Void, nil
	}
	t, err := r.Underlying(id)
	if err != nil {
		return sasm.Type{}, err
	}
	switch t.Kind {
	case btfx.KindInt:
		enc := t.IntEncoding()
		if enc == btfx.IntBool {
			return sasm.Bool, nil
		}
		return sasm.Type{Kind: sasm.KindInt, Size: int(t.SizeOrType), Signed: enc == btfx.IntSigned}, nil
	case btfx.KindEnum, btfx.KindEnum64:
		return sasm.Type{Kind: sasm.KindInt, Size: int(t.SizeOrType), Signed: t.KindFlag}, nil
	case btfx.KindPtr:
		return sasm.Ptr, nil
	case btfx.KindStruct, btfx.KindUnion:
		// by value: the kernel passes at most 16 bytes
		if t.SizeOrType >= 1 && t.SizeOrType <= 16 {
			return sasm.Record(int(t.SizeOrType)), nil
		}
	}
	return sasm.Type{Kind: -1}, nil
}

// resolveRawRefs is resolveKernelRefs on the raw BTF: each field the
// programs access is checked against the kernel's layout, each kfunc call
// gets the kfunc's BTF ID and, for a module's kfunc, the index of the
// module's BTF in the programs' fd_array (its Offset), which it returns:
// the module names in slot order, slot 0 unused (the kernel reads a kfunc
// call's Offset 0 as vmlinux).
func resolveRawRefs(ops *Ops, spec *ebpf.CollectionSpec, k *kernelBTF, lk *kernelLookup) ([]string, error) {
	r := k.types()
	checked := map[sasm.Field]bool{}
	slots := []string{""}
	for _, name := range sortedKeys(spec.Programs) {
		insns := spec.Programs[name].Instructions
		for i := range insns {
			if f, ok := sasm.FieldOf(insns[i]); ok && !checked[f] {
				if err := checkRawField(r, lk.structs[f.Struct], f, fieldFix(ops)); err != nil {
					return nil, fmt.Errorf("program %s of %s: field %s: %w", name, ops.Name, f, err)
				}
				checked[f] = true
			}
			kf, ok := sasm.KfuncOf(insns[i])
			if !ok {
				continue
			}
			ref, ok := lk.kfunc(kf)
			if sig, typed := sasm.KfuncSigOf(insns[i]); typed {
				if err := checkKfunc(k, spec.Programs[name], sig, ref, ok); err != nil {
					return nil, fmt.Errorf("program %s of %s: %w", name, ops.Name, err)
				}
			}
			if !ok {
				where := "the running kernel's vmlinux BTF"
				if ops.Module != "" {
					where = "module " + ops.Module + "'s BTF, the running kernel's vmlinux BTF"
				}
				return nil, fmt.Errorf("program %s of %s: kfunc %s: not in %s nor in any other loaded module's: use a kfunc this kernel has, or load the module that defines it", name, ops.Name, kf, where)
			}
			insns[i].Constant = int64(ref.id)
			insns[i].Offset = 0
			if ref.module != "" {
				slot := slices.Index(slots, ref.module)
				if slot < 0 {
					slot = len(slots)
					slots = append(slots, ref.module)
				}
				insns[i].Offset = int16(slot)
			}
		}
	}
	if len(slots) == 1 {
		return nil, nil
	}
	return slots, nil
}

// checkRawField is checkField on the raw BTF; id is the struct's, 0 when
// the kernel has none of that name.
func checkRawField(r *btfx.Raw, id btfx.TypeID, f sasm.Field, fix string) error {
	if id == 0 {
		return fmt.Errorf("the running kernel has no struct %s: %s", f.Struct, fix)
	}
	cur, off := id, 0
	var m btfx.Member
	for _, part := range strings.Split(f.Member, ".") {
		var moff int
		var ok bool
		var err error
		m, moff, ok, err = r.FindMemberRaw(cur, part)
		if err != nil {
			return fmt.Errorf("struct %s in the kernel's BTF: %w", f.Struct, err)
		}
		if !ok {
			return fmt.Errorf("the running kernel's %s has no member %s: %s", rawTypeName(r, cur), part, fix)
		}
		off += moff
		cur = m.Type
	}
	size, err := r.Sizeof(cur)
	if err != nil {
		return fmt.Errorf("size in the kernel's BTF: %w", err)
	}
	if off != f.Offset || size != f.Size || m.BitfieldSize > 0 {
		return fmt.Errorf("generated for offset %d, %d bytes; the running kernel has it at offset %d, %d bytes: %s",
			f.Offset, f.Size, off, size, fix)
	}
	return nil
}

// rawTypeName is the name of a type as cilium's TypeName gives it (empty
// for anonymous types).
func rawTypeName(r *btfx.Raw, id btfx.TypeID) string {
	t, err := r.Type(id)
	if err != nil {
		return ""
	}
	return t.Name
}

// checkKfunc checks a call of a kfunc the program was built for with its
// signature (sasm.KfuncSig.Call) before the program is loaded: the module
// that declares it exports it, the kernel's BTF of it has the signature the
// call was built with, and a sleepable kfunc is called from a sleepable
// program. found says whether the lookup found the kfunc at all (ref).
func checkKfunc(k *kernelBTF, ps *ebpf.ProgramSpec, sig sasm.KfuncSig, ref kfuncRef, found bool) error {
	where := "the running kernel's vmlinux BTF"
	if ref.module != "" {
		where = "module " + ref.module + "'s BTF"
	}
	if sig.Module != "" && (!found || ref.module != sig.Module) {
		msg := fmt.Sprintf("kfunc %s: module %s does not export it (its BTF has no such function)", sig.Name, sig.Module)
		if found {
			msg += "; " + where + " has one of that name"
		}
		return fmt.Errorf("%s: the loaded module was built from another spec: rebuild and reload %s, or regenerate the package from its spec", msg, sig.Module)
	}
	if !found {
		return nil // reported by the caller
	}
	r := k.vmlinux
	switch {
	case ref.module == k.modName && k.module != nil:
		r = k.module
	case ref.module != "":
		r = k.others[ref.module]
	}
	if r != nil {
		got, err := rawFuncSig(r, ref.id)
		if err != nil {
			return fmt.Errorf("kfunc %s: read %s: %w", sig.Name, where, err)
		}
		want := sasm.KfuncSig{Name: sig.Name, Return: sig.Return, Args: sig.Args}
		got.Name = sig.Name
		if got.String() != want.String() {
			return fmt.Errorf("kfunc %s: %s declares %s, the program calls %s: regenerate the package from the spec the module was built from", sig.Name, where, got, want)
		}
	}
	if sig.Sleepable && ps.Flags&unix.BPF_F_SLEEPABLE == 0 {
		return fmt.Errorf("kfunc %s may sleep (KF_SLEEPABLE) and the program is not sleepable: call it from a sleepable callback (Member.Sleepable, or Options.Sleepable), or drop the call", sig.Name)
	}
	return nil
}

// rawFuncSig is the signature of the function id (a BTF FUNC) of r.
func rawFuncSig(r *btfx.Raw, id btfx.TypeID) (sasm.KfuncSig, error) {
	fn, err := r.Type(id)
	if err != nil {
		return sasm.KfuncSig{}, err
	}
	if fn.Kind != btfx.KindFunc {
		return sasm.KfuncSig{}, fmt.Errorf("type %d is no function", id)
	}
	fp, err := r.Underlying(btfx.TypeID(fn.SizeOrType))
	if err != nil {
		return sasm.KfuncSig{}, err
	}
	if fp.Kind != btfx.KindFuncProto {
		return sasm.KfuncSig{}, fmt.Errorf("function %d has no prototype", id)
	}
	var sig sasm.KfuncSig
	if sig.Return, err = rawSasmType(r, btfx.TypeID(fp.SizeOrType)); err != nil {
		return sasm.KfuncSig{}, err
	}
	for _, p := range fp.Params() {
		a, err := rawSasmType(r, p.Type)
		if err != nil {
			return sasm.KfuncSig{}, err
		}
		sig.Args = append(sig.Args, a)
	}
	return sig, nil
}
