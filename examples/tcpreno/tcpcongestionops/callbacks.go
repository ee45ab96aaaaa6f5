package tcpcongestionops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct tcp_congestion_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.
//
// Edited by hand: a Reno congestion control written in Go asm, reading and
// writing struct tcp_sock through the field descriptors in ops.go (the
// kernel hands tcp_congestion_ops programs their struct sock * as a
// struct tcp_sock *, and lets them write snd_cwnd, snd_cwnd_cnt and
// snd_ssthresh). structops-gen's default bodies call the kernel's
// tcp_reno_* kfuncs instead; CongAvoidKfunc below keeps that variant.
// Each body starts, as the default bodies do, by counting its call in
// Calls (ops.go), which the loader's --stats prints.

// Ssthresh implements u32 ssthresh(struct sock *sk):
// after a loss, the slow start threshold is half the window, at least 2.
func Ssthresh() asm.Instructions {
	s := SsthreshSig
	return sasm.Seq(
		// count this call of ssthresh
		Calls.Count("ssthresh"),
		// r2 = sk: a struct tcp_sock * to the verifier
		s.Arg(asm.R2, 0),
		// r0 = tp->snd_cwnd
		TcpSockSndCwnd.Load(asm.R0, asm.R2),
		asm.Instructions{
			// r0 = snd_cwnd / 2
			asm.RSh.Imm(asm.R0, 1),
			// if r0 >= 2 return it
			asm.JGE.Imm(asm.R0, 2, "ret"),
			// else return 2
			asm.Mov.Imm(asm.R0, 2),
		},
		sasm.Label("ret", s.Ret(asm.R0)),
	)
}

// UndoCwnd implements u32 undo_cwnd(struct sock *sk):
// a loss found spurious restores the window: max(snd_cwnd, prior_cwnd).
func UndoCwnd() asm.Instructions {
	s := UndoCwndSig
	return sasm.Seq(
		// count this call of undo_cwnd
		Calls.Count("undo_cwnd"),
		// r2 = sk
		s.Arg(asm.R2, 0),
		// r0 = tp->snd_cwnd
		TcpSockSndCwnd.Load(asm.R0, asm.R2),
		// r3 = tp->prior_cwnd
		TcpSockPriorCwnd.Load(asm.R3, asm.R2),
		asm.Instructions{
			// if snd_cwnd >= prior_cwnd return it
			asm.JGE.Reg(asm.R0, asm.R3, "ret"),
			// else return prior_cwnd
			asm.Mov.Reg(asm.R0, asm.R3),
		},
		sasm.Label("ret", s.Ret(asm.R0)),
	)
}

// CongAvoid implements void cong_avoid(struct sock *sk, u32 ack, u32 acked):
// Reno, as the kernel's tcp_reno_cong_avoid:
//
//	slow start (snd_cwnd < snd_ssthresh), while the window limits the
//	sender (snd_cwnd < 2 * max_packets_out):
//	    snd_cwnd = min(snd_cwnd + acked, snd_ssthresh)
//	congestion avoidance (tcp_cong_avoid_ai with w = snd_cwnd): one more
//	segment per window of acked segments, counted in snd_cwnd_cnt
//	both: snd_cwnd = min(snd_cwnd, snd_cwnd_clamp)
//
// Registers: r6 = tp, r7 = acked, r2 = cwnd, r8 = w, r4 = cnt.
// Unlike the kernel, the leftover of acked past ssthresh is not carried
// into congestion avoidance, and congestion avoidance does not check
// is_cwnd_limited (a bitfield).
func CongAvoid() asm.Instructions {
	s := CongAvoidSig
	return sasm.Seq(
		// count this call of cong_avoid
		Calls.Count("cong_avoid"),
		// r6 = tp
		s.Arg(asm.R6, 0),
		// r7 = acked
		s.Arg(asm.R7, 2),
		// r2 = tp->snd_cwnd
		TcpSockSndCwnd.Load(asm.R2, asm.R6),
		// r3 = tp->snd_ssthresh
		TcpSockSndSsthresh.Load(asm.R3, asm.R6),
		asm.Instructions{
			// if snd_cwnd >= snd_ssthresh: congestion avoidance
			asm.JGE.Reg(asm.R2, asm.R3, "ca"),
		},
		// r4 = tp->max_packets_out
		TcpSockMaxPacketsOut.Load(asm.R4, asm.R6),
		asm.Instructions{
			// r4 = 2 * max_packets_out
			asm.LSh.Imm(asm.R4, 1),
			// not limited by the window: leave it
			asm.JGE.Reg(asm.R2, asm.R4, "out"),
			// slow start: cwnd += acked
			asm.Add.Reg(asm.R2, asm.R7),
			// at most ssthresh
			asm.JLE.Reg(asm.R2, asm.R3, "clamp"),
			asm.Mov.Reg(asm.R2, asm.R3),
			asm.Ja.Label("clamp"),
			// congestion avoidance: r8 = w = snd_cwnd
			asm.Mov.Reg(asm.R8, asm.R2).WithSymbol("ca"),
		},
		// r4 = tp->snd_cwnd_cnt
		TcpSockSndCwndCnt.Load(asm.R4, asm.R6),
		asm.Instructions{
			// if cnt >= w (w changed since): cnt = 0, cwnd++
			asm.JLT.Reg(asm.R4, asm.R8, "add"),
			asm.Mov.Imm(asm.R4, 0),
			asm.Add.Imm(asm.R2, 1),
			// cnt += acked
			asm.Add.Reg(asm.R4, asm.R7).WithSymbol("add"),
			// if cnt >= w: cwnd += cnt / w, cnt -= (cnt / w) * w
			asm.JLT.Reg(asm.R4, asm.R8, "store_cnt"),
			asm.Mov.Reg(asm.R5, asm.R4),
			asm.Div.Reg(asm.R5, asm.R8),
			asm.Add.Reg(asm.R2, asm.R5),
			asm.Mul.Reg(asm.R5, asm.R8),
			asm.Sub.Reg(asm.R4, asm.R5),
		},
		// tp->snd_cwnd_cnt = cnt
		sasm.Label("store_cnt", TcpSockSndCwndCnt.Store(asm.R6, asm.R4)),
		// r3 = tp->snd_cwnd_clamp
		sasm.Label("clamp", TcpSockSndCwndClamp.Load(asm.R3, asm.R6)),
		asm.Instructions{
			// cwnd = min(cwnd, clamp)
			asm.JLE.Reg(asm.R2, asm.R3, "store"),
			asm.Mov.Reg(asm.R2, asm.R3),
		},
		// tp->snd_cwnd = cwnd
		sasm.Label("store", TcpSockSndCwnd.Store(asm.R6, asm.R2)),
		sasm.Label("out", s.Ret(asm.R0)),
	)
}

// CongAvoidKfunc is CongAvoid done by the kernel: it calls the kfunc
// tcp_reno_cong_avoid(sk, ack, acked). Swap it in for CongAvoid in
// Programs' place (bpf.Load(Ops, map[string]asm.Instructions{...}, opts))
// to compare.
func CongAvoidKfunc() asm.Instructions {
	s := CongAvoidSig
	return sasm.Seq(
		// count this call of cong_avoid
		Calls.Count("cong_avoid"),
		// r3 = acked
		s.Arg(asm.R3, 2),
		// r2 = ack
		s.Arg(asm.R2, 1),
		// r1 = sk (last: it overwrites the ctx in r1)
		s.Arg(asm.R1, 0),
		// tcp_reno_cong_avoid(sk, ack, acked)
		sasm.Kfunc("tcp_reno_cong_avoid"),
		// return
		s.Ret(asm.R0),
	)
}
