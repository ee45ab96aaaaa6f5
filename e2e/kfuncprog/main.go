// Command kfuncprog is the kfuncs golden stack's loader with a hand-written
// tick program, for TestKfuncsInVM. Its first argument picks the program:
//
//	hand   tick(delta) returns qsched_depth(qsched_weight(delta, 7)): delta + 9
//	sleepy tick calls the sleepable qsched_nap from a non-sleepable program
//	count  tick calls qsched_depth with two arguments
//
// The other arguments are the loader's (--once, --call ...).
package main

import (
	"fmt"
	"os"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpf/loadercmd"
	"github.com/structops/structops-gen/gen/testdata/golden/kfuncs/want/qschedops"
)

// hand calls both kfuncs through their typed helpers.
func hand() asm.Instructions {
	s := qschedops.TickSig
	return sasm.Seq(
		// r1 = delta
		s.Arg(asm.R1, 0),
		// r0 = qsched_weight(delta, 7) = delta + 8
		qschedops.QschedWeight(asm.R1, 7),
		// r0 = qsched_depth(r0) = delta + 9
		qschedops.QschedDepth(asm.R0),
		s.Ret(asm.R0),
	)
}

// sleepy calls a KF_SLEEPABLE kfunc from tick, which is not sleepable.
func sleepy() asm.Instructions {
	s := qschedops.TickSig
	return sasm.Seq(
		asm.Instructions{asm.Mov.Imm(asm.R1, 0)},
		qschedops.QschedNap(asm.R1),
		s.Ret(asm.R0),
	)
}

// count calls qsched_depth, which takes one argument, with two.
func count() asm.Instructions {
	s := qschedops.TickSig
	return sasm.Seq(
		qschedops.QschedDepthKfunc.Call(asm.R1, asm.R2),
		s.Ret(asm.R0),
	)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kfuncprog hand|sleepy|count [loader flags]")
		os.Exit(2)
	}
	tick := map[string]func() asm.Instructions{"hand": hand, "sleepy": sleepy, "count": count}[os.Args[1]]
	if tick == nil {
		fmt.Fprintf(os.Stderr, "kfuncprog: unknown program %q\n", os.Args[1])
		os.Exit(2)
	}
	progs := func() (map[string]asm.Instructions, error) {
		return bpf.Build(map[string]func() asm.Instructions{"enqueue": qschedops.Enqueue, "tick": tick})
	}
	os.Exit(loadercmd.Main(os.Args[2:], os.Stdout, os.Stderr, qschedops.Ops, progs))
}
