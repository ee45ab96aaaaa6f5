// Package bpf is the runtime that generated loaders call: it turns the
// layout of a struct_ops type and the Go-assembled programs of its callbacks
// into a cilium/ebpf CollectionSpec, loads it, attaches it through a
// BPF_F_LINK struct_ops map, and detaches it again. Main is the whole
// command line of a generated loader.
//
// Nothing here needs clang, libbpf or cgo. Do not import
// github.com/cilium/ebpf/rlimit: its init() makes a BPF syscall that breaks a
// Go PID 1 (kernels >= 5.11 account BPF memory to the cgroup anyway).
package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/internal/kernelrules"
)

// BPF map flags.
const (
	flagLink       = 0x2000 // BPF_F_LINK: the struct_ops map is attached with a link
	flagRdonlyProg = 0x80   // BPF_F_RDONLY_PROG: programs cannot write the map
)

// progNameLen is the longest object name the kernel keeps (BPF_OBJ_NAME_LEN - 1).
const progNameLen = 15

// Member is the user-side layout of one member of the ops struct. Offsets
// are ours: cilium/ebpf matches members to the kernel's by name.
type Member struct {
	Name   string
	Offset int  // bytes from the start of the struct
	Size   int  // bytes: 8 for a function pointer, the field's size for data
	Func   bool // a callback (function pointer) rather than data
	// Sig is the callback's signature the programs were written for; Load
	// compares it with the kernel's (nil: not checked).
	Sig *sasm.Sig
}

// Ops is a struct_ops type as the loader sees it.
type Ops struct {
	Name    string // the C struct name, e.g. "bpf_testmod_ops"
	Module  string // the kernel module that defines it, "" for a vmlinux type
	Size    int    // bytes of the user-side struct
	Members []Member
	// Data are the default bytes of data members (as set at generation
	// time, e.g. the name of a tcp_congestion_ops); Options.Data overrides
	// them member by member. For a kernel type whose rules are known
	// (tcp_congestion_ops, bpf_dummy_ops) Spec checks the merged data as
	// the generator checks --set: only the members the kernel copies, a
	// string with room for its NUL and allowed characters, known flag bits.
	Data map[string][]byte
	// Instances is how many implementations the module accepts at once
	// (0 means 1); the trigger addresses slot K with an "@K " prefix.
	Instances int
	// DemoCalls are the trigger lines Main's default and --once modes
	// write ("<member> <arg>...", one per callback); empty: the tutorial's
	// "Hello from userspace!" and "Periodic trigger".
	DemoCalls []string
	// Refs are the callback arguments marked __ref ("member.param") in a
	// generated module: they need Linux 6.15.
	Refs []string
}

// Options tune Spec and Load. The zero value (or nil) is fine.
type Options struct {
	// Data holds the bytes of data members by member name (e.g. "name" of
	// tcp_congestion_ops). Missing members are zero. A value may be shorter
	// than its member, never longer.
	Data map[string][]byte
	// VerifierLog puts the whole verifier log in a verifier rejection's
	// error instead of its last lines.
	VerifierLog bool
	// LogWriter, if set, receives a line about what Load loaded.
	LogWriter io.Writer
	// Maps are extra maps the programs refer to by name (an ld_imm64 with
	// that Reference), added to the collection as they are.
	Maps map[string]*ebpf.MapSpec
}

// data merges the defaults of ops with o.Data (which wins).
func (o *Options) data(ops *Ops) map[string][]byte {
	if ops == nil || len(ops.Data) == 0 {
		if o == nil {
			return nil
		}
		return o.Data
	}
	out := make(map[string][]byte, len(ops.Data))
	for k, v := range ops.Data {
		out[k] = v
	}
	if o != nil {
		for k, v := range o.Data {
			out[k] = v
		}
	}
	return out
}

// member returns the member called name.
func (ops *Ops) member(name string) (Member, bool) {
	for _, m := range ops.Members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// validate checks the layout and that every program and data value belongs
// to a member of the right kind.
func (ops *Ops) validate(progs map[string]asm.Instructions, data map[string][]byte) error {
	if ops == nil || ops.Name == "" {
		return fmt.Errorf("struct_ops type without a name: set Ops.Name")
	}
	if ops.Size <= 0 {
		return fmt.Errorf("struct_ops type %s: size %d: set Ops.Size to the struct's size in bytes", ops.Name, ops.Size)
	}
	seen := map[string]bool{}
	for _, m := range ops.Members {
		switch {
		case m.Name == "":
			return fmt.Errorf("struct_ops type %s: a member without a name", ops.Name)
		case seen[m.Name]:
			return fmt.Errorf("struct_ops type %s: member %s appears twice", ops.Name, m.Name)
		case m.Offset < 0 || m.Size <= 0 || m.Offset+m.Size > ops.Size:
			return fmt.Errorf("struct_ops type %s: member %s (offset %d, %d bytes) does not fit in %d bytes", ops.Name, m.Name, m.Offset, m.Size, ops.Size)
		case m.Func && (m.Size != 8 || m.Offset%8 != 0):
			return fmt.Errorf("struct_ops type %s: callback %s must be an 8-byte, 8-aligned function pointer (offset %d, %d bytes)", ops.Name, m.Name, m.Offset, m.Size)
		}
		seen[m.Name] = true
	}
	if len(progs) == 0 {
		return fmt.Errorf("struct_ops type %s: no programs: implement at least one callback", ops.Name)
	}
	for _, name := range sortedKeys(progs) {
		m, ok := ops.member(name)
		if !ok || !m.Func {
			return fmt.Errorf("program %s: struct_ops type %s has no callback %s (callbacks: %v)", name, ops.Name, name, ops.callbacks())
		}
		if len(progs[name]) == 0 {
			return fmt.Errorf("program %s of %s has no instructions", name, ops.Name)
		}
	}
	for _, name := range sortedKeys(data) {
		m, ok := ops.member(name)
		if !ok || m.Func {
			return fmt.Errorf("data for %s: struct_ops type %s has no data member %s", name, ops.Name, name)
		}
		if len(data[name]) > m.Size {
			return fmt.Errorf("data for %s.%s: %d bytes do not fit the %d-byte member", ops.Name, name, len(data[name]), m.Size)
		}
	}
	return ops.checkKernelData(data)
}

// checkKernelData checks the data of a kernel type whose rules are known
// against them (internal/kernelrules, the table the generator's --set uses):
// what the kernel's init_member would refuse with a bare EINVAL at the map
// update is refused here, naming the member and the fix.
func (ops *Ops) checkKernelData(data map[string][]byte) error {
	if ops.Module != "" {
		return nil
	}
	rules, ok := kernelrules.Members(ops.Name)
	if !ok {
		return nil
	}
	settable := strings.Join(kernelrules.Settable(ops.Name), ", ")
	if settable == "" {
		settable = "none"
	}
	for _, name := range sortedKeys(data) {
		rule, ok := rules[name]
		if !ok {
			return fmt.Errorf("data for %s.%s: the kernel owns this member and it must stay zero: remove %q from Ops.Data and Options.Data (settable: %s)",
				ops.Name, name, name, settable)
		}
		m, _ := ops.member(name)
		if err := rule.Check(data[name], m.Size, fmt.Sprintf("char %s[%d]", name, m.Size)); err != nil {
			return fmt.Errorf("data for %s.%s: %w", ops.Name, name, err)
		}
	}
	for _, name := range sortedKeys(rules) {
		if _, ok := ops.member(name); ok && rules[name].Required && len(data[name]) == 0 {
			return fmt.Errorf("data for %s.%s: missing, and the kernel requires it (%s): set Options.Data[%q] (or regenerate with --set %s=VALUE)",
				ops.Name, name, rules[name].Doc, name, name)
		}
	}
	return nil
}

// refusedData explains an EINVAL from loading a kernel type whose data
// holds flag bits that only kernels since some release accept, when the
// running kernel is older (or its release unreadable): the map update's
// bare "invalid argument" then says which bits and what to do. nil when
// that cannot be the reason.
func refusedData(ops *Ops, data map[string][]byte, release string, err error) error {
	if ops.Module != "" || !errors.Is(err, unix.EINVAL) {
		return nil
	}
	rules, _ := kernelrules.Members(ops.Name)
	running, rerr := ParseKernelRelease(release)
	for _, name := range sortedKeys(data) {
		rule, ok := rules[name]
		if !ok || rule.String || len(data[name]) > 8 {
			continue
		}
		var buf [8]byte
		copy(buf[:], data[name])
		v := binary.LittleEndian.Uint64(buf[:])
		var bits uint64
		var names []string
		for _, b := range rule.Bits {
			since, serr := ParseKernelRelease(b.Since)
			if v&b.Value == 0 || serr != nil || rerr == nil && !running.Less(since) {
				continue
			}
			bits |= b.Value
			names = append(names, fmt.Sprintf("%s %#x needs Linux %s", b.Name, b.Value, b.Since))
		}
		if bits == 0 {
			continue
		}
		this := "this kernel is " + release
		if rerr != nil {
			this = "this kernel's release is unknown"
		}
		return fmt.Errorf("load struct_ops %s: the kernel refused %s %#x: %s; %s: clear bits %#x (--set %s=%#x, or Options.Data[%q]): %w",
			ops.Name, name, v, strings.Join(names, ", "), this, bits, name, v&^bits, name, err)
	}
	return nil
}

func (ops *Ops) callbacks() []string {
	var names []string
	for _, m := range ops.Members {
		if m.Func {
			names = append(names, m.Name)
		}
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ProgramName is the kernel name of the program of a callback: the member
// name, cut to the 15 characters the kernel keeps.
func ProgramName(member string) string {
	if len(member) > progNameLen {
		return member[:progNameLen]
	}
	return member
}

// dataType is the BTF type Spec gives a data member: an integer for 1, 2, 4
// and 8 bytes, a char array otherwise. Load replaces it with the kernel's
// own type of the member, which cilium/ebpf requires to match in kind.
func dataType(size int) btf.Type {
	switch size {
	case 1, 2, 4, 8:
		return &btf.Int{Name: fmt.Sprintf("u%d", size*8), Size: uint32(size)}
	}
	return &btf.Array{
		Index:  &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed},
		Type:   &btf.Int{Name: "char", Size: 1, Encoding: btf.Char},
		Nelems: uint32(size),
	}
}

// Spec builds the CollectionSpec of a struct_ops implementation:
//
//   - one StructOps program per entry of progs, keyed and named by member
//     (the name cut to 15 characters), AttachTo "<ops>:<member>", GPL;
//   - the struct_ops map, keyed by ops.Name, with BPF_F_LINK, a 4-byte key,
//     the user-side struct as value (callbacks as pointers to a void
//     FuncProto, data members that have data in opts.Data) and one entry:
//     the struct's bytes with the data filled in (cilium/ebpf fills in the
//     callbacks from the programs of the same collection);
//   - the read-only map sasm.RodataMap holding the programs' strings, when
//     any program uses one (see sasm.Link).
//
// progs is not modified: the programs are copied before linking.
func Spec(ops *Ops, progs map[string]asm.Instructions, opts *Options) (*ebpf.CollectionSpec, error) {
	data := opts.data(ops)
	if err := ops.validate(progs, data); err != nil {
		return nil, err
	}
	linked := make(map[string]asm.Instructions, len(progs))
	for name, insns := range progs {
		linked[name] = slices.Clone(insns)
	}
	rodata, err := sasm.Link(linked)
	if err != nil {
		return nil, fmt.Errorf("link the strings of %s: %w", ops.Name, err)
	}

	spec := &ebpf.CollectionSpec{
		Maps:     map[string]*ebpf.MapSpec{},
		Programs: map[string]*ebpf.ProgramSpec{},
	}
	for name, insns := range linked {
		spec.Programs[name] = &ebpf.ProgramSpec{
			Name:         ProgramName(name),
			Type:         ebpf.StructOps,
			AttachTo:     ops.Name + ":" + name, // ExpectedAttachType becomes the member's index
			License:      "GPL",                 // struct_ops programs must be GPL compatible
			Instructions: insns,
		}
	}

	value := make([]byte, ops.Size)
	st := &btf.Struct{Name: ops.Name, Size: uint32(ops.Size)}
	for _, m := range ops.Members {
		var typ btf.Type
		switch {
		case m.Func:
			typ = &btf.Pointer{Target: &btf.FuncProto{Return: &btf.Void{}}}
		case data[m.Name] != nil:
			typ = dataType(m.Size)
			copy(value[m.Offset:], data[m.Name])
		default:
			continue // a data member left zero: nothing to copy
		}
		st.Members = append(st.Members, btf.Member{Name: m.Name, Type: typ, Offset: btf.Bits(8 * m.Offset)})
	}
	spec.Maps[ops.Name] = &ebpf.MapSpec{
		Name:       ops.Name,
		Type:       ebpf.StructOpsMap,
		Key:        &btf.Int{Size: 4},
		KeySize:    4,
		Value:      st,
		ValueSize:  uint32(ops.Size), // cilium/ebpf uses the kernel value type's size
		MaxEntries: 1,
		Flags:      flagLink,
		Contents:   []ebpf.MapKV{{Key: uint32(0), Value: value}},
	}

	if opts != nil {
		for name, ms := range opts.Maps {
			if name == ops.Name || name == sasm.RodataMap {
				return nil, fmt.Errorf("extra map %s: the name is taken by the struct_ops map or the strings: rename it", name)
			}
			spec.Maps[name] = ms
		}
	}
	if rodata != nil {
		spec.Maps[sasm.RodataMap] = &ebpf.MapSpec{
			Name:       sasm.RodataMap,
			Type:       ebpf.Array,
			KeySize:    4,
			ValueSize:  uint32(len(rodata)),
			MaxEntries: 1,
			Flags:      flagRdonlyProg, // and cilium/ebpf freezes a ".rodata" map after filling it
			Contents:   []ebpf.MapKV{{Key: uint32(0), Value: rodata}},
		}
	}
	return spec, nil
}
