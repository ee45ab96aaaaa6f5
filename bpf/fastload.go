package bpf

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// Load checks that the kernel knows the struct_ops type and every member the
// programs and data fill in, then creates the maps, loads the programs and
// fills in the struct_ops map. The implementation is not attached yet.
//
// Only the types the ops needs are read from the kernel's BTF (a scan of
// the raw blob, kernelbtf.go), and the struct_ops map and the programs are
// created with those IDs (sys.go); cilium/ebpf assembles the programs,
// creates the other maps, updates the struct_ops map and attaches it.
func Load(ops *Ops, progs map[string]asm.Instructions, opts *Options) (*Impl, error) {
	if opts != nil && opts.cilium {
		return loadCilium(ops, progs, opts)
	}
	if err := checkKernelVersion(ops); err != nil {
		return nil, err
	}
	spec, err := Spec(ops, progs, opts)
	if err != nil {
		return nil, err
	}
	return load(ops, spec, opts, true)
}

// LoadPrograms loads the programs of a struct_ops implementation without
// its struct_ops map, e.g. to run them with BPF_PROG_TEST_RUN
// (Program(member).Run) where registering the map is impossible
// (bpf_dummy_ops refuses map updates). The result cannot be attached.
func LoadPrograms(ops *Ops, progs map[string]asm.Instructions, opts *Options) (*Impl, error) {
	if opts != nil && opts.cilium {
		return loadProgramsCilium(ops, progs, opts)
	}
	spec, err := Spec(ops, progs, opts)
	if err != nil {
		return nil, err
	}
	delete(spec.Maps, ops.Name)
	return load(ops, spec, opts, false)
}

// load resolves what spec needs from the kernel's BTF and loads it; withMap:
// check the struct_ops type and create its map (Load), else the programs
// alone (LoadPrograms).
func load(ops *Ops, spec *ebpf.CollectionSpec, opts *Options, withMap bool) (*Impl, error) {
	t0 := time.Now()
	structs, kfuncs := kernelRefs(spec)
	kops, k, lk, err := openKernelBTF(ops, structs, kfuncs)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	tgt, err := resolveTarget(kops, k, lk)
	if err != nil {
		return nil, err
	}
	if withMap {
		if err := checkTarget(kops, spec, k.types(), tgt); err != nil {
			return nil, err
		}
	}
	slots, err := resolveRawRefs(kops, spec, k, lk)
	if err != nil {
		return nil, err
	}
	if err := checkEnumData(kops, spec, rawEnums(k.vmlinux, lk.enums)); err != nil {
		return nil, err
	}
	t1 := time.Now()
	btfRead := fmt.Sprintf("%s, %d of %d bytes read", k.vmlinux.Source(), k.vmlinux.BytesRead(), k.vmlinux.Size())

	// the declared maps first (maps.go): a refused map is reported alone
	maps, err := createMaps(spec, opts)
	if err != nil {
		return nil, err
	}
	// BTF objects of the modules: the ops' (attach target, map value type)
	// and those whose kfuncs the programs call (fd_array)
	handles := map[string]*btf.Handle{}
	defer func() {
		for _, h := range handles {
			h.Close()
		}
	}()
	moduleFD := func(mod string) (int, error) {
		if mod == "" {
			return -1, nil
		}
		if h, ok := handles[mod]; ok {
			return h.FD(), nil
		}
		h, err := btf.FindHandle(func(info *btf.HandleInfo) bool { return info.IsModule() && info.Name == mod })
		if err != nil {
			return -1, fmt.Errorf("BTF object of module %s: %w", mod, permissionHint(err))
		}
		handles[mod] = h
		return h.FD(), nil
	}
	coll := &ebpf.Collection{Programs: map[string]*ebpf.Program{}, Maps: map[string]*ebpf.Map{}}
	fail := func(err error) (*Impl, error) {
		coll.Close()
		maps.close()
		return nil, loadError(ops, spec, opts, err)
	}
	opsFD, err := moduleFD(kops.Module)
	if err != nil {
		return fail(err)
	}
	var fdArray []int32
	for i, mod := range slots {
		fd := 0
		if i > 0 {
			if fd, err = moduleFD(mod); err != nil {
				return fail(err)
			}
		}
		fdArray = append(fdArray, int32(fd))
	}

	// the collection holds its own copy of each declared map, as
	// cilium/ebpf's MapReplacements do; the other maps (strings,
	// Options.Maps) are created here
	for _, name := range sortedKeys(spec.Maps) {
		if name == ops.Name {
			continue
		}
		var m *ebpf.Map
		if dm := maps.maps[name]; dm != nil {
			m, err = dm.Clone()
		} else {
			m, err = ebpf.NewMap(spec.Maps[name])
		}
		if err != nil {
			return fail(fmt.Errorf("map %s: %w", name, err))
		}
		coll.Maps[name] = m
	}
	for _, name := range sortedKeys(spec.Programs) {
		_, idx, ok := tgt.member(name)
		if !ok {
			return fail(fmt.Errorf("program %s: attach StructOps: member %q not found in %s", name, name, ops.Name))
		}
		at := progTarget{opsID: uint32(tgt.opsID), moduleFD: opsFD, member: uint32(idx)}
		prog, err := loadProgram(name, spec.Programs[name], at, coll.Maps, fdArray)
		if err != nil {
			return fail(err)
		}
		coll.Programs[name] = prog
	}
	if withMap {
		m, err := structOpsMap(ops, spec, tgt, opsFD, coll.Programs)
		if err != nil {
			return fail(fmt.Errorf("map %s: %w", ops.Name, err))
		}
		coll.Maps[ops.Name] = m
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
	return &Impl{ops: ops, coll: coll, btfTime: t1.Sub(t0), collTime: t2.Sub(t1), progsOnly: !withMap, maps: maps, module: kops.Module, btfRead: btfRead}, nil
}

// minimalBTF is raw BTF holding one type, int: BPF_MAP_CREATE of a
// struct_ops map wants a BTF object although the value type is the
// kernel's.
var minimalBTF = func() []byte {
	strs := []byte("\x00int\x00")
	b := make([]byte, 0, 24+16+len(strs))
	ne := binary.NativeEndian
	b = ne.AppendUint16(b, 0xeb9f)
	b = append(b, 1, 0)        // version, flags
	b = ne.AppendUint32(b, 24) // hdr_len
	b = ne.AppendUint32(b, 0)  // type_off
	b = ne.AppendUint32(b, 16) // type_len
	b = ne.AppendUint32(b, 16) // str_off
	b = ne.AppendUint32(b, uint32(len(strs)))
	b = ne.AppendUint32(b, 1)        // name "int"
	b = ne.AppendUint32(b, 1<<24)    // BTF_KIND_INT
	b = ne.AppendUint32(b, 4)        // size
	b = ne.AppendUint32(b, 1<<24|32) // signed, 32 bits
	return append(b, strs...)
}()

// structOpsMap creates the struct_ops map of ops with the kernel's value
// type and puts the implementation in it: the data members' bytes at the
// kernel's offsets, each callback's program fd.
func structOpsMap(ops *Ops, spec *ebpf.CollectionSpec, tgt *opsTarget, moduleFD int, progs map[string]*ebpf.Program) (*ebpf.Map, error) {
	ms := spec.Maps[ops.Name]
	h, err := btf.NewHandleFromRawBTF(minimalBTF)
	if err != nil {
		return nil, fmt.Errorf("load BTF: %w", err)
	}
	defer h.Close()
	m, err := createStructOpsMap(structOpsMapSpec{
		name:      ops.Name,
		valueID:   uint32(tgt.valueID),
		valueSize: uint32(tgt.valueSize),
		moduleFD:  moduleFD,
		btfFD:     h.FD(),
		flags:     ms.Flags,
	})
	if err != nil {
		return nil, err
	}
	user := ms.Contents[0].Value.([]byte)
	value := make([]byte, tgt.valueSize)
	for _, um := range ms.Value.(*btf.Struct).Members {
		km, _, ok := tgt.member(um.Name)
		m, _ := ops.member(um.Name)
		if !ok {
			continue // a callback without a program (checkTarget)
		}
		off := tgt.dataOff + int(km.BitOffset/8)
		if m.Func {
			if p := progs[um.Name]; p != nil {
				binary.NativeEndian.PutUint64(value[off:], uint64(p.FD()))
			}
			continue
		}
		copy(value[off:off+m.Size], user[m.Offset:m.Offset+m.Size])
	}
	if err := m.Update(uint32(0), value, ebpf.UpdateAny); err != nil {
		m.Close()
		return nil, fmt.Errorf("update: %w", err)
	}
	return m, nil
}
