package bpf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/internal/btfx"
)

// The loader's raw-BTF resolution (kernelbtf.go) against cilium/ebpf's
// full decode of the same BTF: the same value and ops type IDs, member
// indexes, offsets and sizes, callback signatures, kfunc IDs and field
// checks, on the host's vmlinux and on the split BTF fixtures of gen.

// compareOps resolves struct_ops type name both ways and compares.
func compareOps(t *testing.T, name string, cspec *btf.Spec, k *kernelBTF) {
	t.Helper()
	var value *btf.Struct
	if err := cspec.TypeByName("bpf_struct_ops_"+name, &value); err != nil {
		t.Fatalf("%s: cilium: %v", name, err)
	}
	wantValue, _ := cspec.TypeID(value)
	ids, err := k.types().Lookup([]btfx.Want{{Kind: btfx.KindStruct, Name: "bpf_struct_ops_" + name}})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := resolveTarget(&Ops{Name: name, Module: k.modName}, k, &kernelLookup{value: ids[0]})
	var ops *btf.Struct
	var dataOff int
	for _, m := range value.Members {
		if st, ok := m.Type.(*btf.Struct); ok && st.Name == name {
			ops, dataOff = st, int(m.Offset.Bytes())
		}
	}
	if ops == nil {
		if err == nil {
			t.Errorf("%s: cilium finds no struct %s in the value type, the raw scan does", name, name)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: raw: %v", name, err)
	}
	wantOps, _ := cspec.TypeID(ops)
	if btf.TypeID(tgt.valueID) != wantValue || btf.TypeID(tgt.opsID) != wantOps || tgt.valueSize != int(value.Size) || tgt.dataOff != dataOff {
		t.Errorf("%s: raw value %d (%d bytes, ops at %d), ops %d; cilium value %d (%d bytes, ops at %d), ops %d",
			name, tgt.valueID, tgt.valueSize, tgt.dataOff, tgt.opsID, wantValue, value.Size, dataOff, wantOps)
	}
	if len(tgt.members) != len(ops.Members) {
		t.Fatalf("%s: raw %d members, cilium %d", name, len(tgt.members), len(ops.Members))
	}
	r := k.types()
	for i, cm := range ops.Members {
		rm, idx, ok := tgt.member(cm.Name)
		if !ok || idx != i || rm.BitOffset != uint32(cm.Offset) || rm.BitfieldSize != uint32(cm.BitfieldSize) {
			t.Errorf("%s.%s: raw index %d, offset %d bits (found %v); cilium %d, %d bits", name, cm.Name, idx, rm.BitOffset, ok, i, cm.Offset)
			continue
		}
		csize, cerr := btf.Sizeof(cm.Type)
		rsize, rerr := r.Sizeof(rm.Type)
		if csize != rsize || (cerr == nil) != (rerr == nil) {
			t.Errorf("%s.%s: raw size %d (%v), cilium %d (%v)", name, cm.Name, rsize, rerr, csize, cerr)
		}
		// the signature check: both views of the kernel's type give the same
		// verdict (and message) on the kernel's own signature and a wrong one
		rsig, isFunc, err := rawSig(r, cm.Name, rm.Type)
		if err != nil {
			t.Errorf("%s.%s: raw signature: %v", name, cm.Name, err)
			continue
		}
		o := &Ops{Name: name}
		for _, sig := range []sasm.Sig{rsig, {Name: cm.Name, Return: sasm.U8, Args: rsig.Args}} {
			cerr := checkSig(o, sig, cm.Type)
			rerr := compareSig(o, sig, rsig, isFunc)
			if errString(cerr) != errString(rerr) {
				t.Errorf("%s.%s: signature %s: raw %v, cilium %v", name, cm.Name, sigString(sig), rerr, cerr)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// compareFields checks every named member (and the members of anonymous
// members, by the path btfx.FindMember takes) of struct name both ways,
// at the right offset and at a wrong one.
func compareFields(t *testing.T, name string, cspec *btf.Spec, r *btfx.Raw) {
	t.Helper()
	var st *btf.Struct
	if err := cspec.TypeByName(name, &st); err != nil {
		if errors.Is(err, btf.ErrMultipleMatches) {
			return
		}
		t.Fatalf("struct %s: %v", name, err)
	}
	ids, err := r.Lookup([]btfx.Want{{Kind: btfx.KindStruct, Name: name}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var collect func(btf.Type)
	collect = func(ty btf.Type) {
		var ms []btf.Member
		switch c := btf.UnderlyingType(ty).(type) {
		case *btf.Struct:
			ms = c.Members
		case *btf.Union:
			ms = c.Members
		}
		for _, m := range ms {
			if m.Name == "" {
				collect(m.Type)
			} else {
				names = append(names, m.Name)
			}
		}
	}
	collect(st)
	if len(names) == 0 {
		t.Fatalf("struct %s has no members", name)
	}
	for _, mn := range names {
		m, off, _ := btfx.FindMember(st, mn)
		size, err := btf.Sizeof(m.Type)
		if err != nil {
			continue // a flexible array or the like: no sasm.Field
		}
		for _, f := range []sasm.Field{
			{Struct: name, Member: mn, Offset: off, Size: size},
			{Struct: name, Member: mn, Offset: off + 1, Size: size},
		} {
			cerr, rerr := checkField(cspec, f, "fix"), checkRawField(r, ids[0], f, "fix")
			if errString(cerr) != errString(rerr) {
				t.Errorf("field %s: raw %v, cilium %v", f, rerr, cerr)
			}
		}
	}
	missing := sasm.Field{Struct: name, Member: "no_such_member_x", Size: 4}
	if cerr, rerr := checkField(cspec, missing, "fix"), checkRawField(r, ids[0], missing, "fix"); errString(cerr) != errString(rerr) {
		t.Errorf("field %s: raw %v, cilium %v", missing, rerr, cerr)
	}
}

func TestRawResolutionVmlinux(t *testing.T) {
	cspec := vmlinuxSpec(t)
	raw, err := btfx.Open("/sys/kernel/btf/vmlinux", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	k := &kernelBTF{vmlinux: raw}

	// every struct_ops type of the running kernel, and every kfunc-like
	// function with a unique name among a sample of all functions
	var opsNames, funcs []string
	n := 0
	for typ, err := range cspec.All() {
		if err != nil {
			t.Fatal(err)
		}
		switch ty := typ.(type) {
		case *btf.Struct:
			if name, ok := strings.CutPrefix(ty.Name, "bpf_struct_ops_"); ok && name != "" {
				opsNames = append(opsNames, name)
			}
		case *btf.Func:
			if n++; n%251 == 0 || ty.Name == "tcp_reno_cong_avoid" {
				funcs = append(funcs, ty.Name)
			}
		}
	}
	if len(opsNames) == 0 || len(funcs) < 10 {
		t.Fatalf("%d struct_ops types, %d functions: the sample is too small", len(opsNames), len(funcs))
	}
	t.Logf("%d struct_ops types, %d functions", len(opsNames), len(funcs))
	for _, name := range opsNames {
		compareOps(t, name, cspec, k)
	}

	var wants []btfx.Want
	for _, f := range funcs {
		wants = append(wants, btfx.Want{Kind: btfx.KindFunc, Name: f})
	}
	ids, err := raw.Lookup(wants)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range funcs {
		var fn *btf.Func
		if err := cspec.TypeByName(f, &fn); err != nil {
			continue // several functions of that name: cilium picks none
		}
		want, _ := cspec.TypeID(fn)
		if btf.TypeID(ids[i]) != want {
			t.Errorf("kfunc %s: raw id %d, cilium %d", f, ids[i], want)
		}
	}

	for _, st := range []string{"tcp_sock", "sock", "sk_buff", "task_struct", "bpf_dummy_ops_state", "inet_connection_sock"} {
		compareFields(t, st, cspec, raw)
	}
	if cerr, rerr := checkField(cspec, sasm.Field{Struct: "no_such_struct_x", Member: "a"}, "fix"),
		checkRawField(raw, 0, sasm.Field{Struct: "no_such_struct_x", Member: "a"}, "fix"); errString(cerr) != errString(rerr) {
		t.Errorf("missing struct: raw %v, cilium %v", rerr, cerr)
	}
}

// TestRawResolutionSplit compares on gen's split BTF fixture: a module's
// struct_ops type on a small base.
func TestRawResolutionSplit(t *testing.T) {
	dir := filepath.Join("..", "gen", "testdata", "btf")
	baseData, err := os.ReadFile(filepath.Join(dir, "base.btf"))
	if err != nil {
		t.Fatal(err)
	}
	modData, err := os.ReadFile(filepath.Join(dir, "mod_ops.btf"))
	if err != nil {
		t.Fatal(err)
	}
	cbase, err := btf.LoadSpecFromReader(strings.NewReader(string(baseData)))
	if err != nil {
		t.Fatal(err)
	}
	cmod, err := btf.LoadSplitSpecFromReader(strings.NewReader(string(modData)), cbase)
	if err != nil {
		t.Fatal(err)
	}
	for _, paged := range []bool{false, true} {
		t.Run(map[bool]string{false: "indexed-base", true: "paged-base"}[paged], func(t *testing.T) {
			compareSplit(t, baseData, modData, cbase, cmod, paged)
		})
	}
}

// compareSplit compares the module blob on the base both ways; paged: the
// base is read on demand and the module's first ID pinned by its value
// type, as Load does where the kernel does not map vmlinux's BTF.
func compareSplit(t *testing.T, baseData, modData []byte, cbase, cmod *btf.Spec, paged bool) {
	base, err := btfx.Parse(baseData, nil)
	if paged {
		base, err = btfx.ParsePaged(bytes.NewReader(baseData), int64(len(baseData)), baseData)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !paged {
		// index the base first, as Load does (its vmlinux Lookup)
		if _, err := base.Lookup(nil); err != nil {
			t.Fatal(err)
		}
	}
	mod, err := btfx.Parse(modData, base)
	if err != nil {
		t.Fatal(err)
	}
	if paged {
		if ok, err := mod.PinFirstID("bpf_struct_ops_mod_ops", "data", "mod_ops"); !ok || err != nil {
			t.Fatalf("PinFirstID: %v, %v", ok, err)
		}
	}
	k := &kernelBTF{vmlinux: base, module: mod, modName: "mod"}

	// every named type of the module's blob is found at cilium's ID
	var wants []btfx.Want
	var want []btf.TypeID
	var opsNames []string
	firstSplit := btf.TypeID(len(baseTypes(t, cbase)))
	for typ, err := range cmod.All() {
		if err != nil {
			t.Fatal(err)
		}
		var kind btfx.Kind
		switch ty := typ.(type) {
		case *btf.Struct:
			kind = btfx.KindStruct
			if name, ok := strings.CutPrefix(ty.Name, "bpf_struct_ops_"); ok {
				opsNames = append(opsNames, name)
			}
		case *btf.Func:
			kind = btfx.KindFunc
		default:
			continue
		}
		id, _ := cmod.TypeID(typ)
		if typ.TypeName() == "" || id < firstSplit {
			continue
		}
		wants = append(wants, btfx.Want{Kind: kind, Name: typ.TypeName()})
		want = append(want, id)
	}
	if len(opsNames) == 0 {
		t.Fatal("the fixture has no struct_ops type")
	}
	t.Logf("%d named types in the split blob, struct_ops %v", len(wants), opsNames)
	ids, err := mod.Lookup(wants)
	if err != nil {
		t.Fatal(err)
	}
	for i := range wants {
		if btf.TypeID(ids[i]) != want[i] {
			t.Errorf("%s: raw id %d, cilium %d", wants[i].Name, ids[i], want[i])
		}
	}
	for _, name := range opsNames {
		compareOps(t, name, cmod, k)
	}
	if paged && base.Source() != btfx.SourcePaged {
		t.Errorf("the base was read whole (%s): resolving a module type should follow only its references", base.Source())
	}
}

// baseTypes lists the base's types, void included: the split blob's IDs
// start after them.
func baseTypes(t *testing.T, s *btf.Spec) []btf.Type {
	t.Helper()
	var ts []btf.Type
	for typ, err := range s.All() {
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, typ)
	}
	return ts
}

// TestTypedefStructField checks a field of a typedef of an anonymous
// struct (a context struct such as typedef struct { ... } foo_t;), found
// by the typedef's name, on both paths: vmlinux's atomic_t is one.
func TestTypedefStructField(t *testing.T) {
	cspec := vmlinuxSpec(t)
	raw, err := btfx.Open("/sys/kernel/btf/vmlinux", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	w := kernelWants{value: "no_such_value_x", structs: []string{"atomic_t"}}
	ids, err := raw.Lookup(w.list())
	if err != nil {
		t.Fatal(err)
	}
	lk := &kernelLookup{structs: map[string]btfx.TypeID{}, kfuncs: map[string]kfuncRef{}, enums: map[string]btfx.TypeID{}}
	w.record(lk, ids, "")
	if lk.structs["atomic_t"] == 0 {
		t.Fatal("atomic_t: not found by its typedef")
	}
	good := sasm.Field{Struct: "atomic_t", Member: "counter", Offset: 0, Size: 4}
	if cerr, rerr := checkField(cspec, good, "fix"), checkRawField(raw, lk.structs["atomic_t"], good, "fix"); cerr != nil || rerr != nil {
		t.Errorf("field %s: raw %v, cilium %v", good, rerr, cerr)
	}
	bad := sasm.Field{Struct: "atomic_t", Member: "counter", Offset: 4, Size: 4}
	cerr, rerr := checkField(cspec, bad, "fix"), checkRawField(raw, lk.structs["atomic_t"], bad, "fix")
	if cerr == nil || errString(cerr) != errString(rerr) {
		t.Errorf("field %s at a wrong offset: raw %v, cilium %v", bad, rerr, cerr)
	}
}
