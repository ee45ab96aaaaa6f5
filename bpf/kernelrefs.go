package bpf

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/internal/btfx"
	"github.com/structops/structops-gen/internal/kernelrules"
)

// resolveKernelRefs checks and fixes up what the programs take from the
// running kernel, in place:
//
//   - every kernel struct field a program reads or writes (sasm.Field.Load,
//     Store) must still be at the offset and of the size it had in the BTF
//     the package was generated from, else the program would access the
//     wrong bytes: that is an error naming the field and the fix;
//   - every sasm.Kfunc call gets the kfunc's BTF id in vmlinux: of the
//     called name, or where the running kernel lacks it, of the first of
//     its renames it has (kernelrules.KfuncRenames: sched_ext's 6.13
//     scx_bpf_dispatch -> scx_bpf_dsq_insert and the like), so one program
//     runs on the kernels before and after a rename.
func resolveKernelRefs(ops *Ops, spec *ebpf.CollectionSpec, vmlinux, typeSpec *btf.Spec) error {
	checked := map[sasm.Field]bool{}
	for _, name := range sortedKeys(spec.Programs) {
		insns := spec.Programs[name].Instructions
		for i := range insns {
			if f, ok := sasm.FieldOf(insns[i]); ok && !checked[f] {
				if err := checkField(typeSpec, f, fieldFix(ops)); err != nil {
					return fmt.Errorf("program %s of %s: field %s: %w", name, ops.Name, f, err)
				}
				checked[f] = true
			}
			kf, ok := sasm.KfuncOf(insns[i])
			if !ok {
				continue
			}
			fn, err := kernelFuncRenamed(vmlinux, kf)
			if err != nil {
				return fmt.Errorf("program %s of %s: kfunc %s: not in the running kernel's vmlinux BTF (%w): use a kfunc this kernel has (kfuncs of modules are not supported)", name, ops.Name, kf, err)
			}
			id, err := vmlinux.TypeID(fn)
			if err != nil {
				return fmt.Errorf("program %s of %s: kfunc %s: %w", name, ops.Name, kf, err)
			}
			insns[i].Constant = int64(id)
			insns[i].Offset = 0 // vmlinux: no fd_array slot
		}
	}
	return nil
}

// kernelFuncRenamed finds kfunc name in vmlinux, or the first of its
// renames (kernelrules.KfuncCandidates) vmlinux has; the error is that of
// name.
func kernelFuncRenamed(vmlinux *btf.Spec, name string) (*btf.Func, error) {
	var first error
	for _, n := range kernelrules.KfuncCandidates(name) {
		fn, err := kernelFunc(vmlinux, n)
		if err == nil {
			return fn, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// fieldFix is what to do when a field the programs read differs from the
// running kernel's: for a generated module's context struct, the module
// and the package come from different specs; for a kernel struct, the
// package is for another kernel.
func fieldFix(ops *Ops) string {
	if ops.HasTrigger() {
		return "the module and the package were generated from different specs: regenerate both from one"
	}
	return "regenerate the package against this kernel's BTF (structops-gen --btf /sys/kernel/btf/vmlinux ...)"
}

// checkField compares a field with the running kernel's layout.
func checkField(spec *btf.Spec, f sasm.Field, fix string) error {
	var st *btf.Struct
	var cur btf.Type
	err := spec.TypeByName(f.Struct, &st)
	if errors.Is(err, btf.ErrNotFound) {
		// a typedef of an anonymous struct (typedef struct { ... } foo_t;)
		var td *btf.Typedef
		if spec.TypeByName(f.Struct, &td) == nil {
			cur, err = td, nil
		}
	} else if err == nil {
		cur = st
	}
	if err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			return fmt.Errorf("the running kernel has no struct %s: %s", f.Struct, fix)
		}
		return fmt.Errorf("struct %s in the kernel's BTF: %w", f.Struct, err)
	}
	off := 0
	var m btf.Member
	for _, part := range strings.Split(f.Member, ".") {
		var moff int
		var ok bool
		m, moff, ok = btfx.FindMember(cur, part)
		if !ok {
			return fmt.Errorf("the running kernel's %s has no member %s: %s", cur.TypeName(), part, fix)
		}
		off += moff
		cur = m.Type
	}
	size, err := btf.Sizeof(cur)
	if err != nil {
		return fmt.Errorf("size in the kernel's BTF: %w", err)
	}
	if off != f.Offset || size != f.Size || m.BitfieldSize > 0 {
		return fmt.Errorf("generated for offset %d, %d bytes; the running kernel has it at offset %d, %d bytes: %s",
			f.Offset, f.Size, off, size, fix)
	}
	return nil
}

// loadProgramsCilium is LoadPrograms through cilium/ebpf alone
// (Options.cilium).
func loadProgramsCilium(ops *Ops, progs map[string]asm.Instructions, opts *Options) (*Impl, error) {
	spec, err := Spec(ops, progs, opts)
	if err != nil {
		return nil, err
	}
	delete(spec.Maps, ops.Name)
	cache := btf.NewCache()
	kops, err := located(ops, cachedValueType(ops, cache))
	if err != nil {
		return nil, err
	}
	if err := resolveKernelRefsCached(kops, spec, cache); err != nil {
		return nil, err
	}
	// the declared maps first (maps.go)
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
	return &Impl{ops: ops, coll: coll, progsOnly: true, maps: maps, module: kops.Module}, nil
}

// resolveKernelRefsCached is resolveKernelRefs with the BTF from cache
// (already decoded by the type check).
func resolveKernelRefsCached(ops *Ops, spec *ebpf.CollectionSpec, cache *btf.Cache) error {
	vmlinux, err := cache.Kernel()
	if err != nil {
		return fmt.Errorf("struct_ops type %s: read the kernel's BTF: %w", ops.Name, permissionHint(err))
	}
	typeSpec := vmlinux
	if ops.Module != "" {
		if typeSpec, err = cache.Module(ops.Module); err != nil {
			return fmt.Errorf("struct_ops type %s: read module %s's BTF: %w", ops.Name, ops.Module, permissionHint(err))
		}
	}
	if err := resolveKernelRefs(ops, spec, vmlinux, typeSpec); err != nil {
		return err
	}
	return checkEnumData(ops, spec, specEnums(vmlinux))
}
