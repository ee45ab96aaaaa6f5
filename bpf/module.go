package bpf

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf/btf"
)

// hasValueType reports whether the BTF of a module ("" for vmlinux) has
// the struct_ops value type bpf_struct_ops_<name> of the ops being
// located.
type hasValueType func(module string) (bool, error)

// located returns ops as the running kernel has it: a copy whose Module
// is the loaded module whose BTF defines the struct_ops type ("" when
// vmlinux does). The copy is for reading the kernel's BTF; the trigger
// stays named after ops.Module, the module structops-gen generated.
func located(ops *Ops, has hasValueType) (*Ops, error) {
	if ops.Module == "" {
		return ops, nil
	}
	module, err := definingModule(ops, has)
	if err != nil {
		return nil, err
	}
	if module == ops.Module {
		return ops, nil
	}
	cp := *ops
	cp.Module = module
	return &cp, nil
}

// definingModule finds where the kernel defines the struct_ops type of
// ops the way libbpf and cilium/ebpf do when they create the struct_ops
// map: the value type bpf_struct_ops_<name> in vmlinux, else in the first
// module, in the kernel's BTF ID order (load order), whose BTF has it. Any
// module that registers a type of that name will do, whatever its own
// name (the tutorial's hello.ko registers bpf_testmod_ops). It returns the
// module's name, "" for vmlinux.
func definingModule(ops *Ops, has hasValueType) (string, error) {
	found, err := has("")
	if err != nil {
		return "", fmt.Errorf("struct_ops type %s: read the kernel's BTF: %w", ops.Name, permissionHint(err))
	}
	if found {
		return "", nil
	}
	modules, err := moduleOrder(ops.Module)
	if err != nil {
		return "", fmt.Errorf("struct_ops type %s: list the loaded modules' BTF: %w", ops.Name, permissionHint(err))
	}
	for _, m := range modules {
		found, err := has(m)
		if err != nil {
			return "", fmt.Errorf("struct_ops type %s: read module %s's BTF: %w", ops.Name, m, permissionHint(err))
		}
		if found {
			return m, nil
		}
	}
	if _, err := os.Stat(btfDir + "/" + ops.Module); err == nil {
		return "", fmt.Errorf("struct_ops type %s not found in module %s's BTF nor in any other loaded module's: rebuild and reload the module", ops.Name, ops.Module)
	}
	if ops.NoTrigger {
		return "", fmt.Errorf("struct_ops type %s not found in any loaded module's BTF: load module %s first", ops.Name, ops.Module)
	}
	// The generator writes the module's sources to OUT/module, where its
	// make builds the .ko; OUT is known only to the person who ran it.
	return "", fmt.Errorf("struct_ops type %s not found in any loaded module's BTF: load the module first: insmod OUT/module/%s.ko (OUT: the directory structops-gen wrote)", ops.Name, ops.Module)
}

// kernelModules lists the kernel's module BTF objects in ID order (a
// variable for tests).
var kernelModules = func() ([]string, error) {
	var names []string
	it := new(btf.HandleIterator)
	defer it.Handle.Close()
	for it.Next() {
		info, err := it.Handle.Info()
		if err != nil {
			return nil, fmt.Errorf("BTF object %d: %w", it.ID, err)
		}
		if info.IsModule() {
			names = append(names, info.Name)
		}
	}
	return names, it.Err()
}

// moduleOrder is the order in which the modules' BTF is searched: the
// kernel's, as libbpf and cilium/ebpf search it. Iterating BTF objects
// needs CAP_SYS_ADMIN; without it (the load fails later anyway, with a
// clearer error) the modules in btfDir, the one named first.
func moduleOrder(named string) ([]string, error) {
	names, err := kernelModules()
	if err == nil {
		return names, nil
	}
	entries, derr := os.ReadDir(btfDir)
	if derr != nil {
		return nil, errors.Join(err, derr)
	}
	names = []string{}
	if _, err := os.Stat(btfDir + "/" + named); err == nil {
		names = append(names, named)
	}
	for _, e := range entries {
		if n := e.Name(); n != "vmlinux" && n != named {
			names = append(names, n)
		}
	}
	return names, nil
}

// Module returns the loaded module whose BTF defines the implementation's
// struct_ops type ("" for vmlinux): Ops.Module or, when another module
// registers a type of that name, that module.
func (i *Impl) Module() string { return i.module }

// LoadTimes returns how long Load took to read the kernel's BTF (and find
// the module defining the type) and to load the collection (programs and
// maps).
func (i *Impl) LoadTimes() (btf, coll time.Duration) { return i.btfTime, i.collTime }

// KernelBTFRead says how Load read the kernel's vmlinux BTF: its source
// (mmap, paged, bpf-object, read) and how many of its bytes.
func (i *Impl) KernelBTFRead() string { return i.btfRead }
