package hosttest

import (
	"fmt"
	"net"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// Dropper loses chosen packets of one loopback TCP connection on purpose,
// so a test can make a congestion control see loss without a lossy qdisc
// (this kernel has no netem): a BPF program on the TCX ingress hook of lo,
// where every packet over loopback arrives, drops
//
//   - DropNextData: the next client segment that carries data. The
//     client has sent it, so it is a real loss: SACKs of the segments
//     behind it start fast recovery, which calls ssthresh;
//   - DropAcksUntilRetransmit: every server packet (the ACKs) until the
//     client retransmits: its retransmission timer fires (a spurious
//     timeout, the data had arrived), and the DSACK that answers the
//     retransmission makes TCP undo the reduction, which calls undo_cwnd.
//
// Packets of other connections pass.
type Dropper struct {
	ctl  *ebpf.Map
	prog *ebpf.Program
	link link.Link
}

// The dropper's control and counters: one u64 per key of an array map.
const (
	keyPort       = iota // the server's port: the connection watched
	keyMode              // modeNone, modeDropData, modeDropAcks
	keyMaxEnd            // highest end sequence number of client data seen
	keySeen              // 1 once keyMaxEnd is set
	keyDataDrops         // client data segments dropped
	keyAckDrops          // server packets dropped
	keyRetransmit        // client segments below keyMaxEnd (retransmissions)
	nKeys
)

const (
	modeNone = iota
	modeDropData
	modeDropAcks
)

// DropCounts are what the dropper saw so far.
type DropCounts struct {
	Data, Acks, Retransmits uint64
}

// NewDropper attaches a dropper to lo of ns watching the connection to the
// server on port; it is detached when the test ends.
func (ns *Netns) NewDropper(t *testing.T, port int) *Dropper {
	t.Helper()
	ctl, err := ebpf.NewMap(&ebpf.MapSpec{Name: "dropper_ctl", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: nKeys})
	if err != nil {
		t.Fatalf("dropper map: %v", err)
	}
	t.Cleanup(func() { ctl.Close() })
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "dropper",
		Type:         ebpf.SchedCLS,
		License:      "GPL",
		Instructions: dropperProgram(ctl.FD()),
	})
	if err != nil {
		t.Fatalf("dropper program: %v", err)
	}
	t.Cleanup(func() { prog.Close() })
	d := &Dropper{ctl: ctl, prog: prog}
	d.set(t, keyPort, uint64(port))
	ns.Do(func() {
		var lo *net.Interface
		if lo, err = net.InterfaceByName("lo"); err != nil {
			return
		}
		d.link, err = link.AttachTCX(link.TCXOptions{Interface: lo.Index, Program: prog, Attach: ebpf.AttachTCXIngress})
	})
	if err != nil {
		t.Fatalf("attach the dropper to lo (TCX ingress, Linux 6.6+): %v", err)
	}
	t.Cleanup(func() { d.link.Close() })
	return d
}

func (d *Dropper) set(t *testing.T, key uint32, v uint64) {
	t.Helper()
	if err := d.ctl.Update(key, v, ebpf.UpdateAny); err != nil {
		t.Fatalf("dropper: set key %d: %v", key, err)
	}
}

func (d *Dropper) get(t *testing.T, key uint32) uint64 {
	t.Helper()
	var v uint64
	if err := d.ctl.Lookup(key, &v); err != nil {
		t.Fatalf("dropper: read key %d: %v", key, err)
	}
	return v
}

// DropNextData drops the next client segment with data.
func (d *Dropper) DropNextData(t *testing.T) { d.set(t, keyMode, modeDropData) }

// DropAcksUntilRetransmit drops every server packet until the client
// retransmits a segment.
func (d *Dropper) DropAcksUntilRetransmit(t *testing.T) { d.set(t, keyMode, modeDropAcks) }

// Armed reports whether a drop asked for is still pending.
func (d *Dropper) Armed(t *testing.T) bool { return d.get(t, keyMode) != modeNone }

// Counts returns what the dropper dropped and saw.
func (d *Dropper) Counts(t *testing.T) DropCounts {
	return DropCounts{Data: d.get(t, keyDataDrops), Acks: d.get(t, keyAckDrops), Retransmits: d.get(t, keyRetransmit)}
}

// dropperProgram is the TCX program: it copies the Ethernet, IPv4 (no
// options) and TCP headers to the stack with bpf_skb_load_bytes and
// decides from them and the control map (fd ctl).
func dropperProgram(ctl int) asm.Instructions {
	// the headers at fp-66: the TCP sequence number (byte 38) lands
	// 4-aligned, as the verifier wants of a stack load
	const base = -66
	pkt := func(off int16) int16 { return base + off }
	const (
		payloadSlot = -80 // u64: bytes of TCP payload
		keySlot     = -4  // u32: the key of a map lookup
	)
	// lookup puts a pointer to the u64 of key in dst (r0-r5 clobbered)
	lookup := func(key int64, dst asm.Register) asm.Instructions {
		return asm.Instructions{
			asm.StoreImm(asm.RFP, keySlot, key, asm.Word),
			asm.LoadMapPtr(asm.R1, ctl),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, keySlot),
			asm.FnMapLookupElem.Call(),
			asm.JEq.Imm(asm.R0, 0, "pass"),
			asm.Mov.Reg(dst, asm.R0),
		}
	}
	incr := func(key int64) asm.Instructions {
		return append(lookup(key, asm.R0),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
			asm.Add.Imm(asm.R1, 1),
			asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
		)
	}
	label := func(name string, insns asm.Instructions) asm.Instructions {
		insns[0] = insns[0].WithSymbol(name)
		return insns
	}
	var p asm.Instructions
	add := func(parts ...asm.Instructions) {
		for _, part := range parts {
			p = append(p, part...)
		}
	}
	add(asm.Instructions{
		// r6 = skb
		asm.Mov.Reg(asm.R6, asm.R1),
		// bpf_skb_load_bytes(skb, 0, fp+base, 54): Ethernet 14 + IPv4 20 + TCP 20
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Imm(asm.R2, 0),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, base),
		asm.Mov.Imm(asm.R4, 54),
		asm.FnSkbLoadBytes.Call(),
		asm.JNE.Imm(asm.R0, 0, "pass"),
		// EtherType IPv4 (0x0800 in network order, read little-endian)
		asm.LoadMem(asm.R1, asm.RFP, pkt(12), asm.Half),
		asm.JNE.Imm(asm.R1, 0x0008, "pass"),
		// version 4, header length 5 words
		asm.LoadMem(asm.R1, asm.RFP, pkt(14), asm.Byte),
		asm.JNE.Imm(asm.R1, 0x45, "pass"),
		// protocol TCP
		asm.LoadMem(asm.R1, asm.RFP, pkt(23), asm.Byte),
		asm.JNE.Imm(asm.R1, 6, "pass"),
	})
	// r8 = the watched port
	add(lookup(keyPort, asm.R7), asm.Instructions{
		asm.LoadMem(asm.R8, asm.R7, 0, asm.DWord),
		// to the server: client data
		asm.LoadMem(asm.R1, asm.RFP, pkt(36), asm.Half),
		asm.HostTo(asm.BE, asm.R1, asm.Half),
		asm.JEq.Reg(asm.R1, asm.R8, "client"),
		// from the server: its ACKs
		asm.LoadMem(asm.R1, asm.RFP, pkt(34), asm.Half),
		asm.HostTo(asm.BE, asm.R1, asm.Half),
		asm.JNE.Reg(asm.R1, asm.R8, "pass"),
	})
	add(lookup(keyMode, asm.R7), asm.Instructions{
		asm.LoadMem(asm.R1, asm.R7, 0, asm.DWord),
		asm.JNE.Imm(asm.R1, modeDropAcks, "pass"),
	}, incr(keyAckDrops), asm.Instructions{
		asm.Ja.Label("drop"),
	})

	// client data: r9 = payload bytes = IP total length - 20 - TCP header length
	add(label("client", asm.Instructions{
		asm.LoadMem(asm.R9, asm.RFP, pkt(16), asm.Half),
	}), asm.Instructions{
		asm.HostTo(asm.BE, asm.R9, asm.Half),
		asm.LoadMem(asm.R1, asm.RFP, pkt(46), asm.Byte),
		asm.RSh.Imm(asm.R1, 4),
		asm.LSh.Imm(asm.R1, 2),
		asm.Sub.Imm(asm.R9, 20),
		asm.Sub.Reg(asm.R9, asm.R1),
		asm.JSLE.Imm(asm.R9, 0, "pass"), // a pure ACK, SYN or FIN
		asm.StoreMem(asm.RFP, payloadSlot, asm.R9, asm.DWord),
		// r8 = sequence number
		asm.LoadMem(asm.R8, asm.RFP, pkt(38), asm.Word),
		asm.HostTo(asm.BE, asm.R8, asm.Word),
	})
	// r7 = &mode, r6 = &max_end, r9 = &seen
	add(lookup(keyMode, asm.R7), lookup(keyMaxEnd, asm.R6), lookup(keySeen, asm.R9), asm.Instructions{
		asm.LoadMem(asm.R1, asm.R9, 0, asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "first"),
		// (s32)(seq - max_end) < 0: a retransmission
		asm.LoadMem(asm.R2, asm.R6, 0, asm.DWord),
		asm.Mov.Reg32(asm.R3, asm.R8),
		asm.Sub.Reg32(asm.R3, asm.R2),
		asm.JSGE.Imm32(asm.R3, 0, "advance"),
	}, incr(keyRetransmit), asm.Instructions{
		// the retransmission ends DropAcksUntilRetransmit (and passes)
		asm.LoadMem(asm.R1, asm.R7, 0, asm.DWord),
		asm.JNE.Imm(asm.R1, modeDropAcks, "advance"),
		asm.Mov.Imm(asm.R1, modeNone),
		asm.StoreMem(asm.R7, 0, asm.R1, asm.DWord),
		// max_end = max(max_end, seq + payload), in sequence space
		asm.LoadMem(asm.R2, asm.R6, 0, asm.DWord).WithSymbol("advance"),
		asm.LoadMem(asm.R1, asm.RFP, payloadSlot, asm.DWord),
		asm.Mov.Reg32(asm.R3, asm.R8),
		asm.Add.Reg32(asm.R3, asm.R1),
		asm.Mov.Reg32(asm.R4, asm.R3),
		asm.Sub.Reg32(asm.R4, asm.R2),
		asm.JSLE.Imm32(asm.R4, 0, "decide"),
		asm.StoreMem(asm.R6, 0, asm.R3, asm.DWord),
		asm.Ja.Label("decide"),
		// the first data segment: max_end = seq + payload
		asm.LoadMem(asm.R1, asm.RFP, payloadSlot, asm.DWord).WithSymbol("first"),
		asm.Mov.Reg32(asm.R3, asm.R8),
		asm.Add.Reg32(asm.R3, asm.R1),
		asm.StoreMem(asm.R6, 0, asm.R3, asm.DWord),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreMem(asm.R9, 0, asm.R1, asm.DWord),
		// DropNextData: drop this one, once
		asm.LoadMem(asm.R1, asm.R7, 0, asm.DWord).WithSymbol("decide"),
		asm.JNE.Imm(asm.R1, modeDropData, "pass"),
		asm.Mov.Imm(asm.R1, modeNone),
		asm.StoreMem(asm.R7, 0, asm.R1, asm.DWord),
	}, incr(keyDataDrops), asm.Instructions{
		asm.Ja.Label("drop"),
		// TCX_PASS, TCX_DROP
		asm.Mov.Imm(asm.R0, 0).WithSymbol("pass"),
		asm.Return(),
		asm.Mov.Imm(asm.R0, 2).WithSymbol("drop"),
		asm.Return(),
	})
	return p
}

// String describes the counts for a failure message.
func (c DropCounts) String() string {
	return fmt.Sprintf("dropped %d data segments and %d ACKs, saw %d retransmissions", c.Data, c.Acks, c.Retransmits)
}
