package asm

import (
	"fmt"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// CallCounts counts the calls of each callback of an implementation in one
// map: a per-CPU array with one uint64 per member (NewCallCounts), or, for
// struct_ops types whose programs may call no helpers (bpf_dummy_ops), a
// single-entry array holding one uint64 per member that every CPU adds to
// atomically (NewGlobalCallCounts). Package bpf sums them (Impl.CallCounts
// when Ops.Counts is set).
type CallCounts struct {
	Map     *MapDef
	Members []string // index i counts Members[i]
	// Global: one shared value reached without a helper (ValuePtr), not a
	// per-CPU array looked up with bpf_map_lookup_elem.
	Global bool
}

// NewCallCounts declares the per-CPU call counts of members under the map
// name (at most 15 characters).
func NewCallCounts(name string, members ...string) *CallCounts {
	c := &CallCounts{Members: slices.Clone(members)}
	c.check(name)
	c.Map = NewMap[uint32, uint64](name, ebpf.PerCPUArray, uint32(len(members))).MapDef
	return c
}

// NewGlobalCallCounts declares call counts of members kept in one value
// shared by all CPUs, for program types without map helpers.
func NewGlobalCallCounts(name string, members ...string) *CallCounts {
	c := &CallCounts{Members: slices.Clone(members), Global: true}
	c.check(name)
	c.Map = &MapDef{Name: name, Type: ebpf.Array, KeySize: 4, ValueSize: uint32(8 * len(members)), MaxEntries: 1}
	c.Map.mustValid()
	return c
}

func (c *CallCounts) check(name string) {
	if len(c.Members) == 0 {
		panic(fmt.Sprintf("sasm: call counts %s: no members", name))
	}
	seen := map[string]bool{}
	for _, m := range c.Members {
		if seen[m] {
			panic(fmt.Sprintf("sasm: call counts %s: member %s appears twice", name, m))
		}
		seen[m] = true
	}
}

// Index is the slot of member.
func (c *CallCounts) Index(member string) int {
	i := slices.Index(c.Members, member)
	if i < 0 {
		misuse("", "call counts %s: no member %s (members: %v)", c.Map.Name, member, c.Members)
	}
	return i
}

// Count adds 1 to member's count. Put it first in the callback's body: R1
// (the ctx) is preserved; R0 and R2..R6 are clobbered, and the per-CPU
// kind uses the stack at fp-8..fp-5 for the key.
//
// Per-CPU: r6 = r1, the 8 instructions of MapDef.Count, r1 = r6: 10
// instructions, 11 slots. Global: r0 = &value (ld_imm64), r2 = 1, lock
// *(u64 *)(r0 + 8*index) += r2: 3 instructions, 4 slots.
func (c *CallCounts) Count(member string) asm.Instructions {
	i := c.Index(member)
	if c.Global {
		return Seq(
			c.Map.ValuePtr(asm.R0),                   // r0 = &counts
			asm.Instructions{asm.Mov.Imm(asm.R2, 1)}, // r2 = 1
			c.Map.At(8*i, 8).Add(asm.R0, asm.R2),     // lock counts[i] += 1
		)
	}
	return Seq(
		asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}, // r6 = ctx
		c.Map.Count(int64(i), -8),                     // counts[i]++ on this CPU
		asm.Instructions{asm.Mov.Reg(asm.R1, asm.R6)}, // r1 = ctx
	)
}
