// Package kernelrules is the one table of what the kernel demands of an
// implementation of its own struct_ops types: the callbacks it requires or
// refuses, what it accepts in the data members (the name and flags of a
// tcp_congestion_ops, and which members the kernel owns), the kfuncs a
// default body delegates to and the struct fields its programs may touch.
// The generator (gen/model) checks against it at generation time, so a
// missing callback is reported with its member name, and the runtime (bpf,
// for Ops.Data and Options.Data) checks data against it before the map
// update, so a value the kernel would refuse with a bare EINVAL is refused
// first, with the same words, naming the member and the fix.
//
// It is data and a few checks only: generated loaders link it, so it must
// stay small and import nothing heavy.
package kernelrules

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Data is what the kernel accepts in one data member.
type Data struct {
	// Required: the kernel refuses an empty or zero value.
	Required bool
	// String: a char array holding a NUL-terminated string.
	String bool
	// Charset: strings: the only bytes allowed ("" allows any but NUL);
	// CharsetDoc says them in words.
	Charset, CharsetDoc string
	// Bits: integers: every bit some kernel accepts, oldest first; nil
	// allows any value that fits. A kernel older than a bit's Since refuses
	// it at load time (the map update fails with EINVAL).
	Bits []Bit
	// Max: integers: the largest value the kernel accepts (0: no limit
	// beyond the member's width).
	Max uint64
	// Enum, EnumAll: integers: the allowed bits are those of the kernel's
	// BTF enum Enum (the value of its member EnumAll where it has one, else
	// every single-bit value not named with a "__" prefix), read from the
	// BTF of the kernel the implementation is for (EnumBits); Bits is nil.
	Enum, EnumAll string
	// Doc says what the member is for.
	Doc string
}

// Bit is one flag bit of an integer data member.
type Bit struct {
	Value uint64
	Name  string
	// Since is the first kernel release that accepts the bit ("" for every
	// kernel that has the type).
	Since string
}

// ObjNameChars are the bytes bpf_obj_name_cpy accepts.
const ObjNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."

// types lists, per kernel struct_ops type whose rules are known, the data
// members the kernel's init_member copies from the user's struct: only these
// may be set. Every other data member is the kernel's (owner, list, key,
// ...) and must stay zero: the map update refuses anything else.
var types = map[string]map[string]Data{
	// net/ipv4/bpf_tcp_ca.c bpf_tcp_ca_init_member
	"tcp_congestion_ops": {
		// bpf_obj_name_cpy: 1..15 chars of [A-Za-z0-9_.], unique among
		// the registered congestion controls
		"name": {Required: true, String: true, Charset: ObjNameChars, CharsetDoc: "letters, digits, '_' and '.'",
			Doc: "the congestion control's name in tcp_available_congestion_control and TCP_CONGESTION"},
		// include/net/tcp.h TCP_CONG_MASK: flags & ~TCP_CONG_MASK is EINVAL
		"flags": {Doc: "TCP_CONG_* flags", Bits: []Bit{
			{Value: 0x1, Name: "TCP_CONG_NON_RESTRICTED"},
			{Value: 0x2, Name: "TCP_CONG_NEEDS_ECN"},
			{Value: 0x4, Name: "TCP_CONG_NEEDS_ACCECN", Since: "6.18"},
			{Value: 0x8, Name: "TCP_CONG_ECT_1_NEGOTIATION", Since: "6.18"},
			{Value: 0x10, Name: "TCP_CONG_NO_FALLBACK_RFC3168", Since: "6.18"},
		}},
	},
	// net/bpf/bpf_dummy_struct_ops.c: no data member is copied
	"bpf_dummy_ops": {},
	// kernel/sched/ext.c bpf_scx_init_member (the members it copies on
	// every kernel with sched_ext; later members such as sub_cgroup_id are
	// left out until their rules are known)
	"sched_ext_ops": {
		// bpf_obj_name_cpy into char name[SCX_OPS_NAME_LEN]; 0 copied is
		// EINVAL
		"name": {Required: true, String: true, Charset: ObjNameChars, CharsetDoc: "letters, digits, '_' and '.'",
			Doc: "the scheduler's name in /sys/kernel/sched_ext/root/ops and the kernel log"},
		// flags & ~SCX_OPS_ALL_FLAGS is EINVAL; the flags differ between
		// kernels, so they are read from the kernel's enum scx_ops_flags
		"flags": {Doc: "SCX_OPS_* flags", Enum: "scx_ops_flags", EnumAll: "SCX_OPS_ALL_FLAGS"},
		// msecs_to_jiffies(timeout_ms) > SCX_WATCHDOG_MAX_TIMEOUT (30 s) is
		// E2BIG; 0 means the 30 s maximum
		"timeout_ms": {Max: 30000, Doc: "the watchdog timeout in ms: a runnable task not run within it ejects the scheduler (0: 30000)"},
		// > INT_MAX is E2BIG; 0 means SCX_DSP_DFL_MAX_BATCH
		"dispatch_max_batch": {Max: 1<<31 - 1, Doc: "the most tasks ops.dispatch may insert at once (0: 32)"},
		"exit_dump_len":      {Doc: "bytes of the debug dump on an error exit (0: 32768)"},
		"hotplug_seq":        {Doc: "the /sys/kernel/sched_ext/hotplug_seq the scheduler was set up for (0: not checked)"},
	},
}

// EnumBits returns the bits the kernel's enum allows for a member with
// Enum set, from that enum's values by name: the value of EnumAll when the
// enum has it (one Bit per single-bit value inside it), else every
// single-bit value whose name does not start with "__".
func (d Data) EnumBits(values map[string]uint64) []Bit {
	all, hasAll := values[d.EnumAll]
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if values[names[i]] != values[names[j]] {
			return values[names[i]] < values[names[j]]
		}
		return names[i] < names[j]
	})
	var bits []Bit
	seen := map[uint64]bool{}
	for _, n := range names {
		v := values[n]
		if v == 0 || v&(v-1) != 0 || seen[v] || strings.HasPrefix(n, "__") {
			continue
		}
		if hasAll && v&^all != 0 {
			continue
		}
		seen[v] = true
		bits = append(bits, Bit{Value: v, Name: n})
	}
	return bits
}

// Type is the kernel's rules of one of its struct_ops types.
type Type struct {
	// Required lists groups of callbacks; every group needs at least one
	// implemented member (e.g. {cong_avoid, cong_control}).
	Required [][]string
	// Unsupported callbacks are refused by the kernel's check_member.
	Unsupported []string
	// Data are the data members the kernel's init_member copies from the
	// user's struct: only these may be set. Every other data member must be
	// zero (the kernel owns it: owner, list, key, ...).
	Data map[string]Data
	// Delegate names, per callback, a kfunc with the same signature that a
	// default body calls (the kernel's own implementation).
	Delegate map[string]string
	// Fields are the kernel struct fields the generated package describes
	// for the bodies ("struct.field" or "struct.a.b"), with whether the
	// kernel's btf_struct_access lets the programs of this type write them.
	Fields []Field
	// NoHelpers: the type's verifier ops have no get_func_proto, so its
	// programs may call no BPF helper (bpf_map_lookup_elem and bpf_printk
	// included). Call counts then live in one value shared by all CPUs,
	// reached without a helper (sasm.NewGlobalCallCounts).
	NoHelpers bool
	// Source says where in the kernel the rules come from.
	Source string
}

// Field is one field of a kernel struct the generated package exposes.
type Field struct {
	Path     string // "tcp_sock.snd_cwnd"
	Writable bool
}

// rules is keyed by ops name. Types not listed get the generic rules: no
// required callbacks, integer and char-array data members settable.
var rules = map[string]Type{
	"tcp_congestion_ops": {
		Source: "net/ipv4/tcp_cong.c tcp_validate_congestion_control, net/ipv4/bpf_tcp_ca.c init_member/check_member/btf_struct_access",
		Required: [][]string{
			{"ssthresh"},
			{"undo_cwnd"},
			{"cong_avoid", "cong_control"},
		},
		Unsupported: []string{"get_info"},
		Data:        types["tcp_congestion_ops"],
		Delegate: map[string]string{
			"ssthresh":   "tcp_reno_ssthresh",
			"undo_cwnd":  "tcp_reno_undo_cwnd",
			"cong_avoid": "tcp_reno_cong_avoid",
		},
		// bpf_tcp_ca_is_valid_access promotes the struct sock * arguments
		// to struct tcp_sock *; bpf_tcp_ca_btf_struct_access allows writes
		// to these tcp_sock fields only
		Fields: []Field{
			{Path: "tcp_sock.snd_cwnd", Writable: true},
			{Path: "tcp_sock.snd_cwnd_cnt", Writable: true},
			{Path: "tcp_sock.snd_ssthresh", Writable: true},
			{Path: "tcp_sock.snd_cwnd_clamp"},
			{Path: "tcp_sock.prior_cwnd"},
			{Path: "tcp_sock.max_packets_out"},
		},
	},
	"bpf_dummy_ops": {
		Source: "net/bpf/bpf_dummy_struct_ops.c",
		Data:   types["bpf_dummy_ops"],
		Fields: []Field{{Path: "bpf_dummy_ops_state.val"}},
		// bpf_dummy_verifier_ops sets is_valid_access and
		// btf_struct_access only
		NoHelpers: true,
	},
}

// For returns the kernel's rules of struct_ops type ops and whether it has
// any beyond the generic ones.
func For(ops string) (Type, bool) {
	r, ok := rules[ops]
	return r, ok
}

// Members returns the data members the kernel copies from the user's
// struct for struct_ops type ops, and whether its rules are known (for
// other types any integer or char array may be set).
func Members(ops string) (map[string]Data, bool) {
	m, ok := types[ops]
	return m, ok
}

// Settable returns the names of the members of ops that may be set, sorted.
func Settable(ops string) []string {
	var names []string
	for n := range types[ops] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Mask is every bit of Bits; 0 when any value is allowed.
func (d Data) Mask() uint64 {
	var m uint64
	for _, b := range d.Bits {
		m |= b.Value
	}
	return m
}

// Newer returns the bits of v that only kernels since some release accept,
// with their names and releases ("TCP_CONG_NEEDS_ACCECN 0x4 since 6.18").
func (d Data) Newer(v uint64) (uint64, []string) {
	var bits uint64
	var names []string
	for _, b := range d.Bits {
		if v&b.Value != 0 && b.Since != "" {
			bits |= b.Value
			names = append(names, fmt.Sprintf("%s %#x since %s", b.Name, b.Value, b.Since))
		}
	}
	return bits, names
}

// describeBits lists Bits for an error message.
func (d Data) describeBits() string {
	var parts []string
	for _, b := range d.Bits {
		s := fmt.Sprintf("%s %#x", b.Name, b.Value)
		if b.Since != "" {
			s += " (" + b.Since + "+)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// CheckString checks a string for a char array member of size bytes; decl
// names the member in errors ("char name[16]").
func (d Data) CheckString(value string, size int, decl string) error {
	switch {
	case strings.IndexByte(value, 0) >= 0:
		return errors.New("contains a NUL byte")
	case len(value)+1 > size:
		return fmt.Errorf("%d bytes do not fit %s with its NUL: at most %d characters", len(value), decl, size-1)
	case d.Required && value == "":
		return errors.New("must not be empty")
	}
	if d.Charset != "" {
		for _, c := range []byte(value) {
			if strings.IndexByte(d.Charset, c) < 0 {
				return fmt.Errorf("character %q is not allowed: use %s", c, d.CharsetDoc)
			}
		}
	}
	return nil
}

// CheckInt checks an integer value against Bits and Required.
func (d Data) CheckInt(v uint64) error {
	if m := d.Mask(); m != 0 && v&^m != 0 {
		return fmt.Errorf("bits %#x are not allowed (allowed: %#x: %s)", v&^m, m, d.describeBits())
	}
	if d.Required && v == 0 {
		return errors.New("must not be zero")
	}
	if d.Max != 0 && v > d.Max {
		return fmt.Errorf("%d is more than the kernel accepts: at most %d", v, d.Max)
	}
	return nil
}

// Check checks the bytes a loader puts in a member of size bytes (at most
// size: the caller checks that), as the kernel reads them: a string may
// end in NULs, but needs room for one; an integer is little-endian.
func (d Data) Check(b []byte, size int, decl string) error {
	if d.String {
		s := b
		if i := bytes.IndexByte(b, 0); i >= 0 {
			if len(bytes.TrimRight(b[i:], "\x00")) != 0 {
				return fmt.Errorf("has bytes after its NUL at byte %d: the kernel reads only up to the NUL", i)
			}
			s = b[:i]
		}
		return d.CheckString(string(s), size, decl)
	}
	if len(b) > 8 {
		return fmt.Errorf("%d bytes: an integer member has at most 8", len(b))
	}
	var buf [8]byte
	copy(buf[:], b)
	return d.CheckInt(binary.LittleEndian.Uint64(buf[:]))
}
