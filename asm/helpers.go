package asm

import (
	"fmt"
	"strings"

	"github.com/cilium/ebpf/asm"
)

// maxVprintkArgs is MAX_TRACE_PRINTK_VARARGS: bpf_trace_vprintk takes at
// most 12 u64 values.
const maxVprintkArgs = 12

// Seq concatenates instruction sequences.
func Seq(parts ...asm.Instructions) asm.Instructions {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make(asm.Instructions, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// stringMeta is the Metadata key of the string an ld_imm64 from String
// points at.
type stringMeta struct{}

// String sets dst to a pointer to the NUL-terminated s in the read-only
// .rodata map: one ld_imm64 of a map value (two slots). The string rides on
// the instruction's Metadata until Link gives it an offset in .rodata and
// points the instruction at the map RodataMap.
//
// It panics if s contains a NUL byte.
func String(dst asm.Register, s string) asm.Instructions {
	if strings.IndexByte(s, 0) >= 0 {
		misuse("", "String: %q contains a NUL byte", s)
	}
	// dst = &.rodata[offset of s]; map and offset are filled in by Link
	ins := asm.Instruction{
		OpCode: asm.LoadImmOp(asm.DWord),
		Dst:    dst,
		Src:    asm.PseudoMapValue,
	}
	ins.Metadata.Set(stringMeta{}, s)
	return at(asm.Instructions{ins})
}

// StringOf returns the string a String instruction points at.
func StringOf(ins asm.Instruction) (string, bool) {
	s, ok := ins.Metadata.Get(stringMeta{}).(string)
	return s, ok
}

// Printk calls bpf_trace_printk(format, sizeof(format), args...): format
// comes from .rodata, the at most 3 args go to R3..R5. Each arg must be in
// one of R3..R9; the moves into R3..R5 are ordered so that no source is
// clobbered before it is read (a register already in place is not moved; a
// cycle such as R3 <-> R4 goes through R0, which the call clobbers anyway).
// R0..R5 are clobbered; R6..R9 survive. The result is in R0.
//
// It panics with more than 3 args: use PrintkStack.
func Printk(format string, args ...asm.Register) asm.Instructions {
	if len(args) > 3 {
		misuse("", "Printk(%q): %d args, bpf_trace_printk takes at most 3: use PrintkStack", format, len(args))
	}
	var moves []move
	for i, r := range args {
		if r < asm.R3 || r > asm.R9 {
			misuse("", "Printk(%q): arg %d is in %s, want one of R3..R9", format, i, r)
		}
		moves = append(moves, move{dst: asm.R3 + asm.Register(i), src: r})
	}
	return at(Seq(
		parallelMove(moves, asm.R0, asm.R1, asm.R2), // R3..R5 = args
		String(asm.R1, format),                      // r1 = format in .rodata
		asm.Instructions{
			asm.Mov.Imm(asm.R2, int32(len(format)+1)), // r2 = sizeof(format), NUL included
			asm.FnTracePrintk.Call(),                  // bpf_trace_printk(r1, r2, r3, r4, r5)
		},
	))
}

// PrintkStack calls bpf_trace_vprintk(format, sizeof(format), fp+off, n*8):
// the n (at most 12) u64 values are already stored at fp+off. format must be
// in a read-only, frozen map, which .rodata is. Kernel >= 5.16. R0..R5 are
// clobbered.
func PrintkStack(format string, off int16, n int) asm.Instructions {
	if n < 0 || n > maxVprintkArgs {
		misuse("", "PrintkStack(%q): %d values, bpf_trace_vprintk takes 0..%d", format, n, maxVprintkArgs)
	}
	checkStack(fmt.Sprintf("PrintkStack(%q)", format), off, n*8)
	insns := Seq(
		String(asm.R1, format), // r1 = format in .rodata
		asm.Instructions{asm.Mov.Imm(asm.R2, int32(len(format)+1))}, // r2 = sizeof(format)
	)
	if n == 0 {
		insns = append(insns, asm.Mov.Imm(asm.R3, 0)) // r3 = NULL: no values
	} else {
		insns = append(insns,
			asm.Mov.Reg(asm.R3, asm.RFP),    // r3 = fp
			asm.Add.Imm(asm.R3, int32(off)), // r3 = fp + off: the u64 values
		)
	}
	return at(append(insns,
		asm.Mov.Imm(asm.R4, int32(n*8)), // r4 = n * 8 bytes
		asm.FnTraceVprintk.Call(),       // bpf_trace_vprintk(r1, r2, r3, r4)
	))
}

// ZeroStack zeroes [fp+off, fp+off+size) with 8-byte stores of the
// immediate 0 (and 4, 2 and 1-byte stores for a tail that is not a multiple
// of 8). off must be 8-aligned and the range must lie below fp.
func ZeroStack(off int16, size int) asm.Instructions {
	if off%8 != 0 {
		misuse("", "ZeroStack: offset %d is not 8-aligned", off)
	}
	checkStack("ZeroStack", off, size)
	var insns asm.Instructions
	o := int(off)
	for _, w := range []int{8, 4, 2, 1} {
		for ; size >= w; size -= w {
			// *(u64/u32/u16/u8 *)(fp + o) = 0; built by hand because
			// cilium's StoreImm refuses DWord (BPF_ST|BPF_DW stores the
			// sign-extended imm32, which for 0 is exactly what we want)
			insns = append(insns, asm.Instruction{OpCode: asm.StoreImmOp(memSize(w)), Dst: asm.RFP, Offset: int16(o)})
			o += w
		}
	}
	return at(insns)
}

// ProbeReadKernel calls bpf_probe_read_kernel(fp+dstOff, size, src): it
// copies size bytes from the kernel address in src to the stack. The result
// (0 or a negative errno) is in R0; R0..R5 are clobbered.
func ProbeReadKernel(dstOff int16, size int32, src asm.Register) asm.Instructions {
	checkStack("ProbeReadKernel", dstOff, int(size))
	insns := parallelMove([]move{{dst: asm.R3, src: src}}) // r3 = src
	return at(append(insns,
		asm.Mov.Reg(asm.R1, asm.RFP),       // r1 = fp
		asm.Add.Imm(asm.R1, int32(dstOff)), // r1 = fp + dstOff: destination
		asm.Mov.Imm(asm.R2, size),          // r2 = size
		asm.FnProbeReadKernel.Call(),       // bpf_probe_read_kernel(r1, r2, r3)
	))
}

// ProbeReadKernelReg is ProbeReadKernel with the size in a register. The
// verifier must know the size's bounds: at least 0 and at most the room
// left at fp+dstOff (bound it with conditional jumps first).
func ProbeReadKernelReg(dstOff int16, size, src asm.Register) asm.Instructions {
	if size == asm.RFP {
		misuse("", "ProbeReadKernelReg: the size cannot be in R10")
	}
	checkStack("ProbeReadKernelReg", dstOff, 0)
	insns := parallelMove([]move{{dst: asm.R2, src: size}, {dst: asm.R3, src: src}}, asm.R0, asm.R1) // r2 = size, r3 = src
	return at(append(insns,
		asm.Mov.Reg(asm.R1, asm.RFP),       // r1 = fp
		asm.Add.Imm(asm.R1, int32(dstOff)), // r1 = fp + dstOff: destination
		asm.FnProbeReadKernel.Call(),       // bpf_probe_read_kernel(r1, r2, r3)
	))
}

// checkStack panics unless [fp+off, fp+off+size) lies within the 512-byte
// BPF stack.
func checkStack(what string, off int16, size int) {
	if off >= 0 || int(off) < -512 || size < 0 || int(off)+size > 0 {
		misuse("", "%s: stack range fp%+d, %d bytes, is outside [fp-512, fp)", what, off, size)
	}
}

// move is dst = src.
type move struct{ dst, src asm.Register }

// parallelMove performs all moves as if at once: each destination receives
// its source's value from before the sequence. Moves already in place are
// dropped; a move whose destination no pending move still reads is emitted
// first; a cycle is broken by saving one register in the first of scratch
// that no move uses (the callers pass registers they overwrite afterwards).
func parallelMove(moves []move, scratch ...asm.Register) asm.Instructions {
	var pending []move
	for _, m := range moves {
		if m.dst != m.src {
			pending = append(pending, m)
		}
	}
	var insns asm.Instructions
	for len(pending) > 0 {
		progress := false
		for i := 0; i < len(pending); i++ {
			m := pending[i]
			read := false
			for j, o := range pending {
				if j != i && o.src == m.dst {
					read = true
				}
			}
			if read {
				continue
			}
			insns = append(insns, asm.Mov.Reg(m.dst, m.src)) // dst = src
			pending = append(pending[:i], pending[i+1:]...)
			progress = true
			i--
		}
		if progress {
			continue
		}
		// Only cycles are left: save the first destination in tmp and let
		// its readers read tmp instead.
		tmp := pickScratch(moves, scratch)
		d := pending[0].dst
		insns = append(insns, asm.Mov.Reg(tmp, d)) // tmp = dst: break the cycle
		for j := range pending {
			if pending[j].src == d {
				pending[j].src = tmp
			}
		}
	}
	return insns
}

// pickScratch returns the first of scratch that no move reads or writes.
func pickScratch(moves []move, scratch []asm.Register) asm.Register {
	for _, r := range scratch {
		used := false
		for _, m := range moves {
			if m.src == r || m.dst == r {
				used = true
			}
		}
		if !used {
			return r
		}
	}
	panic(fmt.Sprintf("sasm: moves %v form a cycle and none of %v is free to break it", moves, scratch))
}

// Label returns insns with its first instruction marked as the jump target
// sym (for asm.JEq.Imm(..., sym), asm.Ja.Label(sym) and the like). insns is
// copied, not modified. It panics on an empty sequence.
func Label(sym string, insns asm.Instructions) asm.Instructions {
	if len(insns) == 0 {
		misuse("", "Label(%q): no instruction to label", sym)
	}
	out := append(asm.Instructions(nil), insns...)
	out[0] = out[0].WithSymbol(sym)
	return out
}
