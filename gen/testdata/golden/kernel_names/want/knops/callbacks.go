package knops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct kn_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Rx implements s32 rx(struct sk_buff *skb, struct net_device *dev, __u32 queue):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Rx() asm.Instructions {
	s := RxSig
	return sasm.Seq(
		// count this call of rx
		Calls.Count("rx"),
		// r3 = queue (u32), extended to 64 bits
		s.Arg(asm.R3, 2),
		asm.Instructions{
			// r6 = queue: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("rx(queue=%llu)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// TxDone implements __s64 tx_done(struct sk_buff *skb, u64 cookie):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TxDone() asm.Instructions {
	s := TxDoneSig
	return sasm.Seq(
		// count this call of tx_done
		Calls.Count("tx_done"),
		// r3 = cookie (u64), extended to 64 bits
		s.Arg(asm.R3, 1),
		asm.Instructions{
			// r6 = cookie: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("tx_done(cookie=%llu)\n", asm.R3),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}

// Hash implements u32 hash(const char *key, __u16 key_len, u32 seed):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Hash() asm.Instructions {
	s := HashSig
	return sasm.Seq(
		// count this call of hash
		Calls.Count("hash"),
		// r3 = key_len (u16), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = seed (u32), extended to 64 bits
		s.Arg(asm.R4, 2),
		asm.Instructions{
			// r6 = key_len: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += seed: int + seed (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R4, sasm.S32, sasm.U32),
		sasm.Printk("hash(key_len=%llu, seed=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u32
		s.Ret(asm.R6),
	)
}

// Stats implements void stats(struct kn_stats *stats):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Stats() asm.Instructions {
	s := StatsSig
	return sasm.Seq(
		// count this call of stats
		Calls.Count("stats"),
		sasm.Printk("stats called\n"),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}
