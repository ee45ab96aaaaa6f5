package asm

import (
	"fmt"
	"sort"

	"github.com/cilium/ebpf/asm"
)

// RodataMap is the name of the read-only array map (one entry) holding the
// strings of a set of programs. cilium/ebpf freezes a map whose name starts
// with ".rodata" after filling it, which bpf_trace_vprintk requires of its
// format.
const RodataMap = ".rodata"

// Link resolves the String references of a set of programs. It returns the
// contents of .rodata: every distinct string once, sorted, each
// NUL-terminated, so the same programs always give the same bytes. It
// rewrites each String ld_imm64 in place (the slices in progs are modified)
// to point at its string's offset in the map RodataMap. Linking again is
// harmless. Programs without strings need no map: rodata is nil when no
// program uses one.
func Link(progs map[string]asm.Instructions) (rodata []byte, err error) {
	seen := map[string]bool{}
	var strs []string
	for name, insns := range progs {
		for i, ins := range insns {
			s, ok := StringOf(ins)
			if !ok {
				continue
			}
			if ins.OpCode != asm.LoadImmOp(asm.DWord) || ins.Src != asm.PseudoMapValue {
				return nil, fmt.Errorf("program %s: instruction %d (%v) carries string %q but is not a map value load: build it with String", name, i, ins, s)
			}
			if !seen[s] {
				seen[s] = true
				strs = append(strs, s)
			}
		}
	}
	if len(strs) == 0 {
		return nil, nil
	}
	sort.Strings(strs)
	offsets := make(map[string]uint32, len(strs))
	for _, s := range strs {
		offsets[s] = uint32(len(rodata))
		rodata = append(rodata, s...)
		rodata = append(rodata, 0)
	}
	for _, insns := range progs {
		for i := range insns {
			s, ok := StringOf(insns[i])
			if !ok {
				continue
			}
			// the fd half of the constant stays 0: cilium/ebpf puts the map's
			// fd there when it loads the program
			if err := insns[i].RewriteMapOffset(offsets[s]); err != nil {
				return nil, fmt.Errorf("string %q: %w", s, err)
			}
			insns[i] = insns[i].WithReference(RodataMap)
		}
	}
	return rodata, nil
}
