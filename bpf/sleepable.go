package bpf

import (
	"encoding/binary"
	"fmt"

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

// checkEnumData checks the data members whose allowed bits the kernel
// defines in an enum of its BTF (kernelrules.Data.Enum: sched_ext_ops'
// flags against enum scx_ops_flags) against the running kernel's enum, so
// a bit this kernel lacks is named before the map update fails with a bare
// EINVAL. A kernel without the enum is not checked here.
func checkEnumData(ops *Ops, spec *ebpf.CollectionSpec, vmlinux *btf.Spec) error {
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
		var enum *btf.Enum
		if err := vmlinux.TypeByName(rule.Enum, &enum); err != nil {
			continue
		}
		values := make(map[string]uint64, len(enum.Values))
		for _, ev := range enum.Values {
			values[ev.Name] = ev.Value
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
