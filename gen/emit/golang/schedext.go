package golang

import (
	"fmt"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/structops/structops-gen/gen/model"
)

// The default bodies of sched_ext_ops (model.Member.Body, from the kernel
// rules): together a global FIFO, scx_simple's -f mode. The kfuncs are
// called by their 6.13+ names; package bpf picks the running kernel's name
// at load (kernelrules.KfuncRenames).

// The names of the exit-info map and of the constants the bodies share,
// declared once in callbacks.go (model.Ops.BodyDecls).
const (
	scxExitInfoVar = model.DeclExitInfo
	scxSharedDSQ   = model.DeclSharedDSQ
	scxSliceDfl    = model.DeclSliceDfl
	scxDSQLocal    = model.DeclDSQLocal
)

// scxDecls declares what the sched_ext bodies share: the queue id, the
// slice, SCX_DSQ_LOCAL and the exit-info map.
func scxDecls(f *jen.File, o *model.Ops) {
	consts, exitInfo := slices.Contains(o.BodyDecls, scxSharedDSQ), slices.Contains(o.BodyDecls, scxExitInfoVar)
	if consts {
		f.Comment("The dispatch queue the callbacks share and the constants of include/linux/sched/ext.h")
		f.Comment("they use.")
		f.Const().Defs(
			jen.Comment(scxSharedDSQ+" is the id of the dispatch queue init creates and enqueue inserts into.").Line().
				Id(scxSharedDSQ).Op("=").Lit(0),
			jen.Comment(scxSliceDfl+" is SCX_SLICE_DFL: the default time slice, 20 ms.").Line().
				Id(scxSliceDfl).Op("=").Lit(20_000_000),
		)
		f.Comment(scxDSQLocal + " is SCX_DSQ_LOCAL (SCX_DSQ_FLAG_BUILTIN | 2): the local queue of the CPU a task")
		f.Comment("is inserted on, as the 64-bit immediate of an ld_imm64.")
		f.Var().Id(scxDSQLocal).Int64().Op("=").Op("-").Lit(1).Op("<<").Lit(63).Op("|").Lit(2)
		f.Line()
	}
	if exitInfo {
		layout := jen.Qual(sasmPath, "ExitInfoLayout").Values(jen.DictFunc(func(d jen.Dict) {
			for _, kv := range []struct{ key, path string }{
				{"Kind", "scx_exit_info.kind"}, {"ExitCode", "scx_exit_info.exit_code"},
				{"Reason", "scx_exit_info.reason"}, {"Msg", "scx_exit_info.msg"},
			} {
				for _, fl := range o.Fields {
					if fl.Path == kv.path {
						d[jen.Id(kv.key)] = jen.Id(fl.GoName())
					}
				}
			}
		}))
		f.Comment(scxExitInfoVar + " is the exit record exit writes (why the kernel disabled the scheduler: kind,")
		f.Comment("exit code, reason, message); the loader prints it, and fails with it when the kernel")
		f.Comment("ejected the scheduler.")
		f.Var().Id(scxExitInfoVar).Op("=").Qual(sasmPath, "NewExitInfo").Call(jen.Lit("uei"), layout)
		f.Line()
	}
}

// scxBody is the default body of a sched_ext_ops callback m.Body names, as
// a list of instruction groups.
func scxBody(m model.Member) (string, []jen.Code) {
	s := func(sel string, args ...jen.Code) *jen.Statement { return jen.Id("s").Dot(sel).Call(args...) }
	a := func(sel string, args ...jen.Code) *jen.Statement { return jen.Qual(ebpfAsm, sel).Call(args...) }
	movImm := func(r int, v jen.Code) *jen.Statement { return jen.Qual(ebpfAsm, "Mov").Dot("Imm").Call(reg(r), v) }
	movReg := func(dst, src int) *jen.Statement { return jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(dst), reg(src)) }
	kfunc := func(name, args string) jen.Code {
		return ins(fmt.Sprintf("%s(%s)", name, args), jen.Qual(sasmPath, "Kfunc").Call(jen.Lit(name)))
	}
	exit := ins("return (void: r0 is not read)", s("Exit"))
	switch m.Body {
	case "scx_select_cpu_dfl":
		return "it picks a CPU with the kernel's default idle-CPU selection and, when that CPU is idle,\n" +
				"inserts the task straight into its local queue with the default slice (enqueue is then\n" +
				"skipped). Stack: is_idle at fp-8.", list(
				ins("r6 = p", s("Arg", reg(6), jen.Lit(0))),
				ins("r2 = prev_cpu", s("Arg", reg(2), jen.Lit(1))),
				ins("r3 = wake_flags", s("Arg", reg(3), jen.Lit(2))),
				insns(
					ins("bool is_idle = false", a("StoreImm", rfp, jen.Lit(-8), jen.Lit(0), jen.Qual(ebpfAsm, "Byte"))),
					ins("r1 = p", movReg(1, 6)),
					ins("r4 = &is_idle", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(4), rfp)),
					jen.Qual(ebpfAsm, "Add").Dot("Imm").Call(reg(4), jen.Lit(-8)),
				),
				kfunc("scx_bpf_select_cpu_dfl", "p, prev_cpu, wake_flags, &is_idle"),
				insns(
					ins("r7 = the CPU", movReg(7, 0)),
					ins("if !is_idle return the CPU", a("LoadMem", reg(1), rfp, jen.Lit(-8), jen.Qual(ebpfAsm, "Byte"))),
					jen.Qual(ebpfAsm, "JEq").Dot("Imm").Call(reg(1), jen.Lit(0), jen.Lit("out")),
					ins("r1 = p", movReg(1, 6)),
					ins("r2 = SCX_DSQ_LOCAL", a("LoadImm", reg(2), jen.Id(scxDSQLocal), jen.Qual(ebpfAsm, "DWord"))),
					ins("r3 = SCX_SLICE_DFL", movImm(3, jen.Id(scxSliceDfl))),
					ins("r4 = enq_flags 0", movImm(4, jen.Lit(0))),
				),
				kfunc("scx_bpf_dsq_insert", "p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0"),
				ins("return the CPU", jen.Qual(sasmPath, "Label").Call(jen.Lit("out"), s("Ret", reg(7)))),
			)
	case "scx_enqueue_shared":
		return "it inserts the task at the tail of the shared queue with the default slice.", list(
			ins("r4 = enq_flags", s("Arg", reg(4), jen.Lit(1))),
			ins("r1 = p (last: it overwrites the ctx in r1)", s("Arg", reg(1), jen.Lit(0))),
			insns(
				ins("r2 = SharedDSQ", movImm(2, jen.Id(scxSharedDSQ))),
				ins("r3 = SCX_SLICE_DFL", movImm(3, jen.Id(scxSliceDfl))),
			),
			kfunc("scx_bpf_dsq_insert", "p, SharedDSQ, SCX_SLICE_DFL, enq_flags"),
			exit,
		)
	case "scx_dispatch_shared":
		return "it moves the first task of the shared queue to this CPU's local queue.", list(
			insns(ins("r1 = SharedDSQ", movImm(1, jen.Id(scxSharedDSQ)))),
			kfunc("scx_bpf_dsq_move_to_local", "SharedDSQ"),
			exit,
		)
	case "scx_create_shared":
		return "it creates the shared queue on any NUMA node and returns what that returns (0 or -errno:\n" +
				"an error fails the attach). Sleepable: scx_bpf_create_dsq allocates.", list(
				insns(
					ins("r1 = SharedDSQ", movImm(1, jen.Id(scxSharedDSQ))),
					ins("r2 = NUMA_NO_NODE", movImm(2, jen.Lit(-1))),
				),
				kfunc("scx_bpf_create_dsq", "SharedDSQ, NUMA_NO_NODE"),
				ins("return its result", s("Ret", reg(0))),
			)
	case "scx_exit_record":
		return "it records why the kernel disabled the scheduler (struct scx_exit_info: kind, exit code,\n" +
			"reason, message) into " + scxExitInfoVar + ", which the loader prints.", list(jen.Id(scxExitInfoVar).Dot("Callback").Call(jen.Id("s")))
	}
	panic("no sched_ext body " + m.Body)
}

func list(items ...jen.Code) []jen.Code { return items }
