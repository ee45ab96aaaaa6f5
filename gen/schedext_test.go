package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/gen/model"
)

// testdata/btf/schedext.btf is the part of Debian 7.3's vmlinux BTF that
// structops-gen reads for sched_ext_ops: the struct and its value type,
// the CFI stubs (parameter names, __nullable), enum scx_ops_flags, struct
// scx_exit_info and the task_struct fields the rules describe, with every
// other struct a pointer reaches reduced to a forward declaration. The
// whole vmlinux is 6.9 MB; this is what the golden case schedext is
// generated from. TestSchedExtBlob rebuilds it from the cached 7.3 vmlinux
// (structops-vm --series 7.3 fetches it) and checks the stack generated
// from it equals the one generated from the vmlinux.

const schedExtBlob = "testdata/btf/schedext.btf"

// schedExtVmlinux is the cached Debian 7.3 vmlinux, or "" (the test then
// skips): $STRUCTOPS_SCHEDEXT_VMLINUX, else the VM cache's.
func schedExtVmlinux(t *testing.T) string {
	if p := os.Getenv("STRUCTOPS_SCHEDEXT_VMLINUX"); p != "" {
		return p
	}
	cache := os.Getenv("STRUCTOPS_VM_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(dir, "structops-gen")
	}
	ms, _ := filepath.Glob(filepath.Join(cache, "kernels", "7.3.*", "root", "usr", "src", "linux-headers-7.3.*-amd64", "vmlinux"))
	if len(ms) == 0 {
		return ""
	}
	slices.Sort(ms)
	return ms[len(ms)-1]
}

// btfReducer copies types out of a BTF spec, keeping whole the structs in
// whole, only the listed members of the structs in some, and turning every
// other struct or union a pointer reaches into a forward declaration (one
// embedded by value keeps its size, without members).
type btfReducer struct {
	whole map[string]bool
	some  map[string][]string
	memo  map[btf.Type]btf.Type
}

func (r *btfReducer) copy(t btf.Type) btf.Type {
	if c, ok := r.memo[t]; ok {
		return c
	}
	var out btf.Type
	switch t := t.(type) {
	case *btf.Struct:
		ns := &btf.Struct{Name: t.Name, Size: t.Size}
		r.memo[t] = ns
		ns.Members = r.members(t.Name, t.Members)
		return ns
	case *btf.Union:
		nu := &btf.Union{Name: t.Name, Size: t.Size}
		r.memo[t] = nu
		nu.Members = r.members(t.Name, t.Members)
		return nu
	case *btf.Pointer:
		np := &btf.Pointer{}
		r.memo[t] = np
		np.Target = r.pointee(t.Target)
		return np
	case *btf.Typedef:
		nt := &btf.Typedef{Name: t.Name}
		r.memo[t] = nt
		nt.Type = r.copy(t.Type)
		return nt
	case *btf.Int:
		c := *t
		out = &c
	case *btf.Enum:
		c := *t
		c.Values = slices.Clone(t.Values)
		out = &c
	case *btf.Float:
		c := *t
		out = &c
	case *btf.Fwd:
		c := *t
		out = &c
	case *btf.Void:
		out = &btf.Void{}
	case *btf.Const:
		out = &btf.Const{Type: r.copy(t.Type)}
	case *btf.Volatile:
		out = &btf.Volatile{Type: r.copy(t.Type)}
	case *btf.Restrict:
		out = &btf.Restrict{Type: r.copy(t.Type)}
	case *btf.TypeTag:
		out = &btf.TypeTag{Type: r.copy(t.Type), Value: t.Value}
	case *btf.Array:
		out = &btf.Array{Index: r.copy(t.Index), Type: r.copy(t.Type), Nelems: t.Nelems}
	case *btf.FuncProto:
		fp := &btf.FuncProto{Return: r.copy(t.Return)}
		for _, p := range t.Params {
			fp.Params = append(fp.Params, btf.FuncParam{Name: p.Name, Type: r.copy(p.Type)})
		}
		out = fp
	case *btf.Func:
		out = &btf.Func{Name: t.Name, Type: r.copy(t.Type), Linkage: t.Linkage}
	default:
		panic("btfReducer: unexpected " + t.TypeName())
	}
	r.memo[t] = out
	return out
}

func (r *btfReducer) members(name string, ms []btf.Member) []btf.Member {
	var out []btf.Member
	for _, m := range ms {
		if r.whole[name] || slices.Contains(r.some[name], m.Name) {
			out = append(out, btf.Member{Name: m.Name, Type: r.copy(m.Type), Offset: m.Offset, BitfieldSize: m.BitfieldSize})
		}
	}
	return out
}

// pointee copies a pointer's target: a struct or union not kept becomes a
// forward declaration (its qualifiers stay).
func (r *btfReducer) pointee(t btf.Type) btf.Type {
	switch u := t.(type) {
	case *btf.Const:
		return &btf.Const{Type: r.pointee(u.Type)}
	case *btf.Volatile:
		return &btf.Volatile{Type: r.pointee(u.Type)}
	case *btf.Struct:
		if !r.whole[u.Name] && r.some[u.Name] == nil {
			return &btf.Fwd{Name: u.Name, Kind: btf.FwdStruct}
		}
	case *btf.Union:
		if !r.whole[u.Name] && r.some[u.Name] == nil {
			return &btf.Fwd{Name: u.Name, Kind: btf.FwdUnion}
		}
	}
	return r.copy(t)
}

// reduceSchedExt builds schedext.btf from a vmlinux's BTF.
func reduceSchedExt(t *testing.T, spec *btf.Spec) []byte {
	r := &btfReducer{
		whole: map[string]bool{"sched_ext_ops": true, "bpf_struct_ops_sched_ext_ops": true, "scx_exit_info": true},
		some:  map[string][]string{"task_struct": {"scx"}, "sched_ext_entity": {"dsq_vtime", "slice", "weight"}},
		memo:  map[btf.Type]btf.Type{},
	}
	var roots []btf.Type
	for _, n := range []string{"sched_ext_ops", "bpf_struct_ops_sched_ext_ops", "scx_exit_info", "task_struct"} {
		var st *btf.Struct
		if err := spec.TypeByName(n, &st); err != nil {
			t.Fatalf("struct %s: %v", n, err)
		}
		roots = append(roots, r.copy(st))
	}
	var e *btf.Enum
	if err := spec.TypeByName("scx_ops_flags", &e); err != nil {
		t.Fatal(err)
	}
	roots = append(roots, r.copy(e))
	for typ, err := range spec.All() {
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := typ.(*btf.Func); ok && strings.HasPrefix(f.Name, "sched_ext_ops__") {
			roots = append(roots, r.copy(f))
		}
	}
	return btfMarshal(t, roots)
}

// schedExtSpec is the golden case's spec, on btfPath.
func schedExtSpec(btfPath string) Spec {
	return Spec{BTF: btfPath, Ops: "sched_ext_ops", Set: []string{"name=gofifo"}}
}

// TestSchedExtBlob: the committed schedext.btf is what reduceSchedExt
// makes of the cached 7.3 vmlinux (-update rewrites it), and the stack
// generated from it is the one generated from the whole vmlinux, file by
// file (but for the BTF's path in the package comment).
func TestSchedExtBlob(t *testing.T) {
	vmlinux := schedExtVmlinux(t)
	if vmlinux == "" {
		t.Skip("no cached Debian 7.3 vmlinux (structops-vm --series 7.3 fetches it; or set STRUCTOPS_SCHEDEXT_VMLINUX)")
	}
	spec, err := btf.LoadSpec(vmlinux)
	if err != nil {
		t.Fatal(err)
	}
	want := reduceSchedExt(t, spec)
	if *update {
		if err := os.WriteFile(schedExtBlob, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schedExtBlob)
	if err != nil {
		t.Fatalf("%v (go test ./gen -update -run SchedExtBlob writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what reduceSchedExt makes of %s (go test ./gen -update -run SchedExtBlob)", schedExtBlob, vmlinux)
	}
	render := func(path string) map[string]string {
		o, err := Load(schedExtSpec(path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		fs, err := Render(o, Options{GoImport: "example.com/x"})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, f := range fs {
			out[f.Path] = strings.ReplaceAll(string(f.Data), path, "BTF")
		}
		return out
	}
	full, small := render(vmlinux), render(schedExtBlob)
	if len(full) != len(small) {
		t.Fatalf("%d files from the vmlinux, %d from %s", len(full), len(small), schedExtBlob)
	}
	for p, f := range full {
		if small[p] != f {
			t.Errorf("%s generated from %s differs from the one generated from the vmlinux:\n%s\n---\n%s", p, schedExtBlob, small[p], f)
		}
	}
}

// TestSchedExtDefaults: the generated sched_ext stack implements the
// global FIFO's callbacks, sleepable where the kernel allows it, never a
// member the kernel refuses, and records the exit info with the layout of
// struct scx_exit_info from the BTF.
func TestSchedExtDefaults(t *testing.T) {
	o, err := Load(schedExtSpec(schedExtBlob))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range o.ImplementedCallbacks() {
		got = append(got, m.Name)
	}
	if want := []string{"select_cpu", "enqueue", "dispatch", "init", "exit"}; !slices.Equal(got, want) {
		t.Errorf("implemented %v, want %v", got, want)
	}
	for _, m := range o.Callbacks() {
		want := slices.Contains([]string{"init_task", "cgroup_init", "cgroup_exit", "cgroup_prep_move",
			"cpu_online", "cpu_offline", "init", "exit", "sub_attach", "sub_detach"}, m.Name)
		if m.Sleepable != want {
			t.Errorf("%s: Sleepable %v, want %v", m.Name, m.Sleepable, want)
		}
	}
	fields := map[string]model.Field{}
	for _, f := range o.Fields {
		fields[f.Path] = f
	}
	// struct scx_exit_info's layout in Debian 7.3
	for path, want := range map[string][2]int{"scx_exit_info.kind": {0, 4}, "scx_exit_info.exit_code": {8, 8},
		"scx_exit_info.reason": {24, 8}, "scx_exit_info.msg": {48, 8}} {
		if f := fields[path]; f.Offset != want[0] || f.Size != want[1] || f.Err != "" {
			t.Errorf("%s: %+v, want offset %d size %d", path, f, want[0], want[1])
		}
	}
	fs, err := Render(o, Options{GoImport: "example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if strings.HasSuffix(f.Path, "/ops.go") {
			for _, m := range []string{"init", "exit"} {
				if !bytes.Contains(f.Data, []byte(`{Name: "`+m+`", Offset:`)) || !bytes.Contains(f.Data, []byte(`Sig: &`+model.GoName(m)+`Sig, Sleepable: true}`)) {
					t.Errorf("ops.go: %s not Sleepable:\n%s", m, f.Data)
				}
			}
			if bytes.Contains(f.Data, []byte(`"sub_ecaps_updated": `)) {
				t.Errorf("ops.go implements sub_ecaps_updated")
			}
		}
	}

	// an explicit list naming a member the kernel refuses is an error
	s := schedExtSpec(schedExtBlob)
	s.Members = []string{"select_cpu", "sub_ecaps_updated"}
	if _, err := Load(s); err == nil || !strings.Contains(err.Error(), "sub_ecaps_updated") {
		t.Errorf("--members with sub_ecaps_updated: %v, want an error naming it", err)
	}
}

// TestSchedExtSet: sched_ext's data members are checked with the kernel's
// rules, flags against the BTF's enum scx_ops_flags.
func TestSchedExtSet(t *testing.T) {
	for _, c := range []struct {
		set  []string
		want string // "" for no error
	}{
		{[]string{"name=ok", "flags=0x1", "timeout_ms=30000", "dispatch_max_batch=8", "exit_dump_len=4096"}, ""},
		{[]string{"name="}, "must not be empty"},
		{[]string{"name=a b"}, "not allowed"},
		{[]string{"name=x", "flags=0x80000000"}, "bits 0x80000000 are not allowed"},
		{[]string{"name=x", "timeout_ms=40000"}, "at most 30000"},
		{[]string{"name=x", "dispatch_max_batch=4294967295"}, "at most 2147483647"},
		{[]string{"name=x", "priv=1"}, "owned by the kernel"},
		{nil, "requires name"},
	} {
		s := schedExtSpec(schedExtBlob)
		s.Set = c.set
		_, err := Load(s)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.set, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: %v, want an error containing %q", c.set, err, c.want)
		}
	}
}
