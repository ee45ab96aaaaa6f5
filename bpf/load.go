package bpf

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf/trigger"
)

// verifierTail is how many lines of the verifier log a rejection shows.
const verifierTail = 15

// btfDir is where the kernel exposes the BTF of vmlinux and of each loaded
// module (a variable for tests).
var btfDir = "/sys/kernel/btf"

// Impl is a loaded struct_ops implementation: its programs and map, and the
// link while attached.
type Impl struct {
	ops  *Ops
	coll *ebpf.Collection
	link link.Link
	// how long Load took to read the kernel's BTF and to load the
	// collection (programs, maps), for the loader's --timing
	btfTime, collTime time.Duration
	// btfRead says how the kernel's vmlinux BTF was read (--timing)
	btfRead string
	// progsOnly: loaded by LoadPrograms, without the struct_ops map
	progsOnly bool
	// module: the loaded module whose BTF defines the type (module.go)
	module string
	// maps: the maps the programs declare (maps.go)
	maps *implMaps
}

// loadCilium is Load through cilium/ebpf alone (Options.cilium: the
// benchmark's and the comparison tests' reference): it checks that the
// kernel knows the struct_ops type and every member the programs and data
// fill in, then loads the collection Spec builds with ebpf.NewCollection
// (cilium/ebpf fills the callbacks of the map only from programs of the
// same collection), decoding the kernel's whole BTF.
func loadCilium(ops *Ops, progs map[string]asm.Instructions, opts *Options) (*Impl, error) {
	if err := checkKernelVersion(ops); err != nil {
		return nil, err
	}
	spec, err := Spec(ops, progs, opts)
	if err != nil {
		return nil, err
	}
	// One cache for the check and for cilium/ebpf (the struct_ops map's
	// value type, the programs' attach targets): the kernel's BTF, by far
	// the slowest part of loading, is decoded once instead of twice.
	cache := btf.NewCache()
	t0 := time.Now()
	kops, err := located(ops, cachedValueType(ops, cache))
	if err != nil {
		return nil, err
	}
	if err := checkKernelType(kops, spec, cache); err != nil {
		return nil, err
	}
	if err := resolveKernelRefsCached(kops, spec, cache); err != nil {
		return nil, err
	}
	t1 := time.Now()
	// the declared maps first (maps.go): a refused map is reported alone
	maps, err := createMaps(spec, opts)
	if err != nil {
		return nil, err
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Cache: cache, MapReplacements: maps.replacements()})
	if err != nil {
		maps.close()
		return nil, loadError(ops, spec, opts, err)
	}
	if err := maps.pin(opts); err != nil {
		coll.Close()
		maps.close()
		return nil, err
	}
	t2 := time.Now()
	if opts != nil && opts.LogWriter != nil {
		fmt.Fprintf(opts.LogWriter, "%s: loaded %d programs (%s)\n", ops.Name, len(coll.Programs), strings.Join(sortedKeys(coll.Programs), ", "))
	}
	return &Impl{ops: ops, coll: coll, btfTime: t1.Sub(t0), collTime: t2.Sub(t1), maps: maps, module: kops.Module}, nil
}

// cachedValueType is located's lookup in cilium/ebpf's decoded BTF.
func cachedValueType(ops *Ops, cache *btf.Cache) hasValueType {
	value := "bpf_struct_ops_" + ops.Name
	return func(module string) (bool, error) {
		var spec *btf.Spec
		var err error
		if module == "" {
			spec, err = cache.Kernel()
		} else {
			spec, err = cache.Module(module)
		}
		if err != nil {
			return false, err
		}
		var st *btf.Struct
		err = spec.TypeByName(value, &st)
		if errors.Is(err, btf.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
}

// checkKernelType finds the kernel's struct_ops value type of ops, makes
// sure every member the user-side struct fills in exists there with the
// same size, and gives the data members the kernel's own BTF types (cilium
// copies a data member only when both sides have the same kind of type).
func checkKernelType(ops *Ops, spec *ebpf.CollectionSpec, cache *btf.Cache) error {
	var (
		kspec *btf.Spec
		err   error
	)
	if ops.Module != "" {
		kspec, err = cache.Module(ops.Module)
	} else {
		kspec, err = cache.Kernel()
	}
	if err != nil {
		return fmt.Errorf("struct_ops type %s: read the kernel's BTF: %w", ops.Name, permissionHint(err))
	}
	var value *btf.Struct
	if err := kspec.TypeByName("bpf_struct_ops_"+ops.Name, &value); err != nil {
		where := "the running kernel (vmlinux)"
		if ops.Module != "" {
			where = "module " + ops.Module + "'s BTF: rebuild and reload the module"
		}
		return fmt.Errorf("struct_ops type %s not found in %s: %w", ops.Name, where, err)
	}
	var kernel *btf.Struct
	for _, m := range value.Members {
		if st, ok := m.Type.(*btf.Struct); ok && st.Name == ops.Name {
			kernel = st
		}
	}
	if kernel == nil {
		return fmt.Errorf("struct_ops type %s: the kernel's bpf_struct_ops_%s has no member of type struct %s", ops.Name, ops.Name, ops.Name)
	}
	user := spec.Maps[ops.Name].Value.(*btf.Struct)
	for i, um := range user.Members {
		var km *btf.Member
		for j := range kernel.Members {
			if kernel.Members[j].Name == um.Name {
				km = &kernel.Members[j]
			}
		}
		m, _ := ops.member(um.Name)
		what := "data member"
		if m.Func {
			what = "callback"
		}
		if km == nil {
			if m.Func {
				if _, used := spec.Programs[um.Name]; !used {
					continue // no program for it: nothing to fill in
				}
			}
			return fmt.Errorf("struct_ops type %s: the kernel's struct %s has no %s %s: regenerate from the running kernel's type", ops.Name, ops.Name, what, um.Name)
		}
		size, err := btf.Sizeof(km.Type)
		if err != nil {
			return fmt.Errorf("struct_ops type %s: size of the kernel's %s: %w", ops.Name, um.Name, err)
		}
		if size != m.Size {
			return fmt.Errorf("struct_ops type %s: %s %s is %d bytes in the kernel, %d in the spec: regenerate from the running kernel's type", ops.Name, what, um.Name, size, m.Size)
		}
		if m.Func && m.Sig != nil {
			if err := checkSig(ops, *m.Sig, km.Type); err != nil {
				return err
			}
		}
		if !m.Func {
			user.Members[i].Type = km.Type
		}
	}
	return nil
}

// checkSig compares the signature a callback's program was written for
// with the kernel's function pointer type: a program reading its
// arguments with other widths or signedness than the kernel passes them
// would compute garbage (or be refused by the verifier for a reason far
// from the cause).
func checkSig(ops *Ops, sig sasm.Sig, kt btf.Type) error {
	ptr, ok := btf.UnderlyingType(kt).(*btf.Pointer)
	var fp *btf.FuncProto
	if ok {
		fp, ok = btf.UnderlyingType(ptr.Target).(*btf.FuncProto)
	}
	var kernel sasm.Sig
	if ok {
		kernel = sasm.Sig{Name: sig.Name, Return: sasmType(fp.Return)}
		for _, p := range fp.Params {
			kernel.Args = append(kernel.Args, sasmType(p.Type))
		}
	}
	return compareSig(ops, sig, kernel, ok)
}

// compareSig compares the signature sig a callback's program was written
// for with the kernel's; isFunc is false when the kernel's member is no
// function pointer.
func compareSig(ops *Ops, sig, kernel sasm.Sig, isFunc bool) error {
	fix := "regenerate from the running kernel's type"
	if ops.Module != "" {
		fix = fmt.Sprintf("the module and the loader come from different specs: rebuild both from one (structops-gen --btf %s/%s reads the loaded module's)", btfDir, ops.Module)
	}
	if !isFunc {
		return fmt.Errorf("struct_ops type %s: the kernel's %s is not a function pointer: %s", ops.Name, sig.Name, fix)
	}
	kernel.Name = sig.Name
	same := kernel.Return == sig.Return && len(kernel.Args) == len(sig.Args)
	for i := 0; same && i < len(sig.Args); i++ {
		same = kernel.Args[i] == sig.Args[i]
	}
	if !same {
		return fmt.Errorf("struct_ops type %s: callback %s is %s in the kernel, %s in the spec: %s", ops.Name, sig.Name, sigString(kernel), sigString(sig), fix)
	}
	return nil
}

// sasmType is the asm layer's view of a BTF type: its kind, size and
// signedness (typedefs, qualifiers and enums resolved; plain char is
// unsigned, as the kernel builds with -funsigned-char).
func sasmType(t btf.Type) sasm.Type {
	switch u := btf.UnderlyingType(t).(type) {
	case nil, *btf.Void:
		return sasm.Void
	case *btf.Int:
		if u.Encoding == btf.Bool {
			return sasm.Bool
		}
		return sasm.Type{Kind: sasm.KindInt, Size: int(u.Size), Signed: u.Encoding == btf.Signed}
	case *btf.Enum:
		return sasm.Type{Kind: sasm.KindInt, Size: int(u.Size), Signed: u.Signed}
	case *btf.Pointer:
		return sasm.Ptr
	case *btf.Struct:
		if u.Size >= 1 && u.Size <= 16 {
			return sasm.Record(int(u.Size))
		}
	case *btf.Union:
		if u.Size >= 1 && u.Size <= 16 {
			return sasm.Record(int(u.Size))
		}
	}
	return sasm.Type{Kind: -1} // a struct or union by value over 16 bytes: never equal to a spec's type
}

// sigString renders a signature with the asm layer's type names:
// "s32 test_2(s32, s32)".
func sigString(s sasm.Sig) string {
	args := make([]string, len(s.Args))
	for i, a := range s.Args {
		args[i] = a.String()
	}
	return fmt.Sprintf("%s %s(%s)", s.Return, s.Name, strings.Join(args, ", "))
}

// bpfIncapable reports whether the process has neither CAP_BPF nor
// CAP_SYS_ADMIN, so the kernel refuses struct_ops maps and programs (a
// variable for tests).
var bpfIncapable = func() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	has := func(c int) bool { return data[c/32].Effective&(1<<(uint(c)%32)) != 0 }
	return !has(unix.CAP_BPF) && !has(unix.CAP_SYS_ADMIN)
}

// loadError turns a NewCollection error into one a person can act on.
func loadError(ops *Ops, spec *ebpf.CollectionSpec, opts *Options, err error) error {
	// Without CAP_BPF cilium/ebpf's feature probes fail with EPERM and
	// report "not supported" ("struct_ops requires BTF"): no errno says
	// permission, so ask the kernel what the process may do.
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) && !errors.As(err, new(*ebpf.VerifierError)) || bpfIncapable() {
		return fmt.Errorf("load struct_ops %s: permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN: %w", ops.Name, err)
	}
	// flag bits newer than the running kernel (spec.go)
	release, _ := kernelRelease()
	if e := refusedData(ops, opts.data(ops), release, err); e != nil {
		return e
	}
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		e := &VerifierError{Ops: ops.Name, Cause: ve.Cause, Log: ve.Log, Full: opts != nil && opts.VerifierLog, err: err}
		for _, name := range sortedKeys(spec.Programs) {
			if strings.HasPrefix(err.Error(), "program "+name+":") {
				e.Member = name
			}
		}
		e.At = refusedAt(spec, err, ve.Log)
		return e
	}
	return fmt.Errorf("load struct_ops %s: %w", ops.Name, err)
}

func permissionHint(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w (run as root or with CAP_BPF and CAP_SYS_ADMIN)", err)
	}
	return err
}

// Attach registers the implementation with the kernel through a struct_ops
// link.
func (i *Impl) Attach() error {
	if i.coll == nil {
		return fmt.Errorf("attach %s: the implementation is closed: load it again", i.ops.Name)
	}
	if i.link != nil {
		return nil
	}
	if i.progsOnly {
		return fmt.Errorf("attach %s: loaded with LoadPrograms, without the struct_ops map: use Load to attach", i.ops.Name)
	}
	l, err := link.AttachStructOps(link.StructOpsOptions{Map: i.coll.Maps[i.ops.Name]})
	if err != nil {
		if n := i.ops.Instances; n > 1 && errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("attach %s: all %d %s slots are taken: detach one (stop its loader) first: %w", i.ops.Name, n, i.ops.Name, err)
		}
		return attachError(i.ops.Name, err)
	}
	i.link = l
	return nil
}

// attachError turns an AttachStructOps error into one a person can act on.
func attachError(name string, err error) error {
	switch {
	case errors.Is(err, unix.EEXIST):
		return fmt.Errorf("attach %s: another %s implementation is attached: detach it (stop its loader) first: %w", name, name, err)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("attach %s: permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN: %w", name, err)
	}
	return fmt.Errorf("attach %s: %w", name, err)
}

// LinkID returns the kernel's ID of the struct_ops link while attached.
func (i *Impl) LinkID() (uint32, error) {
	if i.link == nil {
		return 0, fmt.Errorf("%s is not attached: no link", i.ops.Name)
	}
	info, err := i.link.Info()
	if err != nil {
		return 0, fmt.Errorf("link info of %s: %w", i.ops.Name, err)
	}
	return uint32(info.ID), nil
}

// Slot returns the slot the module gave the attached implementation when
// it keeps several (generated with --instances): the K to write as "@K "
// before a line to the trigger. -1: the module has no slots.
func (i *Impl) Slot() (int, error) {
	if !i.ops.HasTrigger() {
		return -1, nil
	}
	if i.link == nil {
		return -1, fmt.Errorf("slot of %s: not attached: Attach it first", i.ops.Name)
	}
	return trigger.New(trigger.Path(i.ops.Module)).FindSlot(i.LinkID)
}

// Detach unregisters the implementation; the programs stay loaded and can
// be attached again. Detaching a detached implementation does nothing.
func (i *Impl) Detach() error {
	if i.link == nil {
		return nil
	}
	err := i.link.Close()
	i.link = nil
	if err != nil {
		return fmt.Errorf("detach %s: %w", i.ops.Name, err)
	}
	return nil
}

// Close detaches and releases the programs and maps. It may be called more
// than once.
func (i *Impl) Close() error {
	err := i.Detach()
	if i.coll != nil {
		i.coll.Close()
		i.coll = nil
	}
	i.maps.close() // maps.go
	return err
}

// Program returns the loaded program of a callback, or nil.
func (i *Impl) Program(member string) *ebpf.Program {
	if i.coll == nil {
		return nil
	}
	return i.coll.Programs[member]
}

// Map returns a map of the collection by name: the ops name for the
// struct_ops map, sasm.RodataMap, one of Options.Maps or a map the programs
// declare (MapOf reads those with their Go types). Nil if there is no
// such map or the implementation is closed.
func (i *Impl) Map(name string) *ebpf.Map {
	if i.coll == nil {
		return nil
	}
	return i.coll.Maps[name]
}
