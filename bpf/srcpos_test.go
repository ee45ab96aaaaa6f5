package bpf_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpftestmodops"
)

// line is the line of its caller.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

var (
	badRegLn  int // badRegister's s.Ret(asm.R4) call
	ctxDecl   int // badCtx's declaration
	plainLine int // badCtx's plain load
)

func badRegister() asm.Instructions {
	s := sigSsthresh
	badRegLn = line() + 4
	return sasm.Seq(
		asm.Instructions{asm.LoadImm(asm.R7, 1<<40, asm.DWord)}, // two slots
		s.Arg(asm.R6, 0),
		s.Ret(asm.R4), // R4 is never set: "R4 !read_ok"
	)
}

func badCtx() asm.Instructions {
	ctxDecl = line() - 1
	s := sigSsthresh
	plainLine = line() + 3
	return sasm.Seq(
		s.Arg(asm.R6, 0),
		asm.Instructions{asm.LoadMem(asm.R0, asm.R1, 64, asm.DWord)}, // ssthresh has one argument: ctx+64 is out of bounds
		s.Ret(asm.R0),
	)
}

func TestVerifierRejectionNamesGoLine(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		name string
		fn   func() asm.Instructions
		want func() string
	}{
		{"helper", badRegister, func() string {
			// the LoadImm takes slots 0 and 1, Arg slot 2: Ret's mov is slot 3
			return fmt.Sprintf("srcpos_test.go:%d: ssthresh: refused instruction 3: w0 = w4", badRegLn)
		}},
		{"plain", badCtx, func() string {
			return fmt.Sprintf("srcpos_test.go:%d: ssthresh: refused instruction 1: r0 = *(u64 *)(r1 +64) (in badCtx, built with cilium/ebpf/asm, after line %d and before line %d)",
				ctxDecl, plainLine-1, plainLine+1)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			progs, err := bpf.Build(map[string]func() asm.Instructions{
				"ssthresh":   c.fn,
				"undo_cwnd":  func() asm.Instructions { return sigUndoCwnd.RetImm(10) },
				"cong_avoid": func() asm.Instructions { return sigCongAvoid.RetImm(0) },
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = bpf.Load(tcpOps, progs, &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("g"))}})
			var ve *ebpf.VerifierError
			if !errors.As(err, &ve) {
				t.Fatalf("Load: %v, want a verifier error", err)
			}
			msg := err.Error()
			t.Logf("%s", msg)
			if !strings.Contains(msg, "the verifier rejected callback ssthresh of tcp_congestion_ops") || !strings.Contains(msg, c.want()) {
				t.Errorf("error lacks %q:\n%s", c.want(), msg)
			}
		})
	}
}

func TestBuildMisuse(t *testing.T) {
	s := sasm.Sig{Name: "test_2", Return: sasm.S32, Args: []sasm.Type{sasm.S32, sasm.S32}}
	argLine := line() + 2
	bad := func() asm.Instructions {
		return sasm.Seq(s.Arg(asm.R4, 5), s.Ret(asm.R4))
	}
	printkLine := line() + 2
	badPrintk := func() asm.Instructions {
		return sasm.Seq(sasm.Printk("%d", asm.R1), s.RetImm(0))
	}
	counts := sasm.NewMap[uint32, uint64]("counts", ebpf.Array, 4)
	mapLine := line() + 2
	badMap := func() asm.Instructions {
		return sasm.Seq(counts.StoreKey(-4, 4), s.RetImm(0))
	}
	calls := sasm.NewCallCounts("calls", "test_1")
	countLine := line() + 2
	badCount := func() asm.Instructions {
		return sasm.Seq(calls.Count("test_5"), s.RetImm(0))
	}
	good := func() asm.Instructions { return s.RetImm(1) }
	progs, err := bpf.Build(map[string]func() asm.Instructions{"test_1": good, "test_2": bad, "test_3": badPrintk,
		"test_4": badMap, "test_5": badCount})
	if err == nil || progs != nil {
		t.Fatalf("Build: %v, %v; want an error", progs, err)
	}
	for _, want := range []string{
		fmt.Sprintf("srcpos_test.go:%d: test_2: argument 5 out of range (2 arguments)", argLine),
		fmt.Sprintf(`srcpos_test.go:%d: test_3: Printk("%%d"): arg 0 is in r1, want one of R3..R9`, printkLine),
		// the map helpers
		fmt.Sprintf("srcpos_test.go:%d: test_4: map counts: key 4: index out of range: the array has 4 entries", mapLine),
		fmt.Sprintf("srcpos_test.go:%d: test_5: call counts calls: no member test_5 (members: [test_1])", countLine),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var me *sasm.MisuseError
	if !errors.As(err, &me) || filepath.Base(me.Pos.File) != "srcpos_test.go" {
		t.Errorf("errors.As(*sasm.MisuseError): %+v", me)
	}

	// CallPrograms: a program table built at once
	_, err = bpf.CallPrograms(func() map[string]asm.Instructions {
		return map[string]asm.Instructions{"test_1": good(), "test_2": bad()}
	})
	if want := fmt.Sprintf("srcpos_test.go:%d: test_2: argument 5 out of range", argLine); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("CallPrograms: %v, want %q", err, want)
	}

	// other panics are not Build's
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("panic %v, want boom to propagate", r)
		}
	}()
	bpf.Build(map[string]func() asm.Instructions{"x": func() asm.Instructions { panic("boom") }})
}

func TestBuildPositions(t *testing.T) {
	progs, err := bpf.Build(map[string]func() asm.Instructions{"ssthresh": badCtx})
	if err != nil {
		t.Fatal(err)
	}
	insns := progs["ssthresh"]
	if len(insns) != 4 || insns[3].Source() != nil {
		t.Fatalf("program (want 4 instructions, the exit without a line of its own): %v", insns)
	}
	for i, want := range []struct {
		line int
		text string
	}{
		{plainLine - 1, "s.Arg(asm.R6, 0),"},
		{ctxDecl, "func badCtx() asm.Instructions {"},
		{plainLine + 1, "s.Ret(asm.R0),"},
	} {
		l, ok := insns[i].Source().(*btf.Line)
		if !ok || filepath.Base(l.FileName()) != "srcpos_test.go" || int(l.LineNumber()) != want.line || l.Line() != want.text {
			t.Errorf("instruction %d: source %#v, want srcpos_test.go:%d %q", i, insns[i].Source(), want.line, want.text)
		}
	}
}

// BenchmarkBuild measures what Build adds to calling the callback
// functions (recover, function positions, line info from the source
// files): compare with BenchmarkBuild/direct.
func BenchmarkBuild(b *testing.B) {
	callbacks := map[string]func() asm.Instructions{"test_1": bpftestmodops.Test1, "test_2": bpftestmodops.Test2, "test_3": bpftestmodops.Test3}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			for _, f := range callbacks {
				f()
			}
		}
	})
	b.Run("Build", func(b *testing.B) {
		for b.Loop() {
			if _, err := bpf.Build(callbacks); err != nil {
				b.Fatal(err)
			}
		}
	})
}
