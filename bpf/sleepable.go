package bpf

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	"github.com/structops/structops-gen/internal/kernelrules"
)

// progFlags are the BPF_PROG_LOAD flags of the program of a callback:
// BPF_F_SLEEPABLE for a Member marked Sleepable.
func progFlags(ops *Ops, member string) uint32 {
	if m, ok := ops.member(member); ok && m.Sleepable {
		return unix.BPF_F_SLEEPABLE
	}
	return 0
}

// enumNames are the enums of the kernel's BTF that checkEnumData reads for
// ops, to look up in the same pass as the load's other types.
func enumNames(ops *Ops) []string {
	rules, _ := kernelrules.Members(ops.Name)
	var names []string
	for _, name := range sortedKeys(rules) {
		if e := rules[name].Enum; e != "" && !slices.Contains(names, e) {
			names = append(names, e)
		}
	}
	return names
}

// enumValues returns the values of the kernel's enum called name by name;
// false when vmlinux has no such enum.
type enumValues func(name string) (map[string]uint64, bool)

// specEnums is enumValues of cilium/ebpf's decoded vmlinux BTF.
func specEnums(vmlinux *btf.Spec) enumValues {
	return func(name string) (map[string]uint64, bool) {
		var enum *btf.Enum
		if err := vmlinux.TypeByName(name, &enum); err != nil {
			return nil, false
		}
		values := make(map[string]uint64, len(enum.Values))
		for _, ev := range enum.Values {
			values[ev.Name] = ev.Value
		}
		return values, true
	}
}

// checkEnumData checks the data members whose allowed bits the kernel
// defines in an enum of its BTF (kernelrules.Data.Enum: sched_ext_ops'
// flags against enum scx_ops_flags) against the running kernel's enum, so
// a bit this kernel lacks is named before the map update fails with a bare
// EINVAL. A kernel without the enum is not checked here.
func checkEnumData(ops *Ops, spec *ebpf.CollectionSpec, enums enumValues) error {
	if ops.Module != "" {
		return nil
	}
	rules, ok := kernelrules.Members(ops.Name)
	if !ok {
		return nil
	}
	ms := spec.Maps[ops.Name]
	if ms == nil || len(ms.Contents) != 1 {
		return nil // LoadPrograms: no struct_ops map, no data
	}
	value, ok := ms.Contents[0].Value.([]byte)
	if !ok {
		return nil
	}
	for _, name := range sortedKeys(rules) {
		rule := rules[name]
		m, ok := ops.member(name)
		if rule.Enum == "" || !ok || m.Size > 8 || m.Offset+m.Size > len(value) {
			continue
		}
		var buf [8]byte
		copy(buf[:], value[m.Offset:m.Offset+m.Size])
		v := binary.LittleEndian.Uint64(buf[:])
		if v == 0 {
			continue
		}
		values, ok := enums(rule.Enum)
		if !ok {
			continue
		}
		rule.Bits = rule.EnumBits(values)
		if err := rule.CheckInt(v); err != nil {
			release, _ := kernelRelease()
			return fmt.Errorf("data for %s.%s: %w (the running kernel %s's enum %s): clear the other bits (--set %s=%#x, or Options.Data[%q])",
				ops.Name, name, err, release, rule.Enum, name, v&rule.Mask(), name)
		}
	}
	return nil
}
