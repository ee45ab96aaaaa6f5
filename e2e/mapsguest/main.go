// Command mapsguest checks maps on a generated module stack inside the
// test VM: the kn_ops golden stack (module kn, package knops), whose
// default bodies count their calls. TestGeneratedStacksInVM runs it as one
// step of its plan.
//
//  1. Implementation A (the generated programs) is attached and tx_done is
//     called -before times through the trigger: A's call counts show
//     exactly those calls.
//  2. Implementation B replaces tx_done with a program written here that
//     counts its call, sends the cookie argument to a ring buffer and
//     returns cookie + 1000. B is loaded with Options{MapsFrom: A} and
//     swapped in with A.Update(B) (BPF_LINK_UPDATE): both use one counts
//     map.
//  3. -events calls with cookies 1..N: each answers cookie + 1000 (B runs),
//     the ring buffer delivers the N cookies in the order of the calls,
//     and the counts continue from A's: tx_done before + N, the other
//     callbacks 0.
//  4. An implementation loaded without MapsFrom has counts of its own:
//     swapping it in is refused, naming the map.
//
// It prints "mapsguest: ..." progress lines and exits 1 with the reason on
// stderr when a check fails.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpf/trigger"
	"github.com/structops/structops-gen/gen/testdata/golden/kernel_names/want/knops"
)

var (
	before = flag.Int("before", 3, "tx_done calls while A is attached")
	events = flag.Int("events", 20, "tx_done calls (and ring buffer events) while B is attached")
)

// event is what B's tx_done sends for each call.
type event struct{ Cookie uint64 }

// Events is the ring buffer of B's tx_done.
var Events = sasm.NewRingBuf[event]("events", 4096)

// variant is what B's tx_done adds to the cookie it returns.
const variant = 1000

// txDoneEvents is B's tx_done(skb, cookie): count the call, send
// {cookie} to Events, return cookie + 1000.
func txDoneEvents() asm.Instructions {
	s := knops.TxDoneSig
	return sasm.Seq(
		knops.Calls.Count("tx_done"),                  // count this call of tx_done (r1 kept)
		asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}, // r6 = ctx
		Events.Reserve(),                              // r0 = room for an event, or NULL
		sasm.IfNotNull(asm.R0, sasm.Seq(
			asm.Instructions{asm.Mov.Reg(asm.R7, asm.R0)}, // r7 = event
			s.ArgFrom(asm.R2, asm.R6, 1),                  // r2 = cookie
			Events.At(0, 8).Store(asm.R7, asm.R2),         // event->cookie = cookie
			Events.Submit(asm.R7),                         // hand the event to the reader
		)),
		s.ArgFrom(asm.R0, asm.R6, 1),                   // r0 = cookie
		asm.Instructions{asm.Add.Imm(asm.R0, variant)}, // r0 += 1000
		s.Ret(asm.R0), // return cookie + 1000
	)
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "mapsguest: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("mapsguest: PASS")
}

// call calls tx_done with cookie through the trigger and checks its answer.
func call(trig *trigger.Client, cookie, want uint64) error {
	out, err := trig.Call(fmt.Sprintf("tx_done %d", cookie))
	if err != nil {
		return err
	}
	got, ok := trigger.Answer(out, "tx_done")
	if !ok || got != strconv.FormatUint(want, 10) {
		return fmt.Errorf("tx_done %d answered %q, want %d", cookie, strings.TrimSpace(string(out)), want)
	}
	return nil
}

// checkCounts compares the implementation's call counts with want (by
// member; unnamed members 0).
func checkCounts(impl *bpf.Impl, want map[string]uint64) error {
	counts, err := impl.CallCounts()
	if err != nil {
		return err
	}
	for _, c := range counts {
		if c.Calls != want[c.Member] {
			return fmt.Errorf("call counts %v: %s has %d, want %d", counts, c.Member, c.Calls, want[c.Member])
		}
	}
	fmt.Printf("mapsguest: call counts %v\n", counts)
	return nil
}

func run() error {
	trig := trigger.New(trigger.Path(knops.Ops.Module))
	a, err := knops.Load(nil)
	if err != nil {
		return fmt.Errorf("load A: %w", err)
	}
	defer a.Close()
	if err := a.Attach(); err != nil {
		return err
	}
	for i := 0; i < *before; i++ {
		if err := call(trig, 5, 5); err != nil {
			return fmt.Errorf("A: %w", err)
		}
	}
	if err := checkCounts(a, map[string]uint64{"tx_done": uint64(*before)}); err != nil {
		return fmt.Errorf("A: %w", err)
	}

	progs, err := knops.Programs()
	if err != nil {
		return err
	}
	progs["tx_done"] = txDoneEvents()
	b, err := bpf.Load(knops.Ops, progs, &bpf.Options{MapsFrom: a})
	if err != nil {
		return fmt.Errorf("load B: %w", err)
	}
	defer b.Close()
	ring, err := bpf.RingBufOf(b, Events)
	if err != nil {
		return err
	}
	defer ring.Close()
	idA, errA := a.MapID("calls")
	idB, errB := b.MapID("calls")
	if errA != nil || errB != nil || idA != idB {
		return fmt.Errorf("B's counts map is %d (%v), A's %d (%v): MapsFrom should share it", idB, errB, idA, errA)
	}
	if err := a.Update(b); err != nil {
		return err
	}
	fmt.Printf("mapsguest: A swapped for B (counts map ID %d)\n", idB)

	n := uint64(*events)
	for c := uint64(1); c <= n; c++ {
		if err := call(trig, c, c+variant); err != nil {
			return fmt.Errorf("B: %w", err)
		}
	}
	var got []uint64
	ring.SetDeadline(time.Now().Add(10 * time.Second))
	for len(got) < int(n) {
		ev, err := ring.Read()
		if err != nil {
			return fmt.Errorf("after %d of %d events %v: %w", len(got), n, got, err)
		}
		got = append(got, ev.Cookie)
	}
	var want []uint64
	for c := uint64(1); c <= n; c++ {
		want = append(want, c)
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("the ring buffer delivered cookies %v, want %v (the calls' order)", got, want)
	}
	fmt.Printf("mapsguest: the ring buffer delivered %d events in order\n", n)
	if err := checkCounts(b, map[string]uint64{"tx_done": uint64(*before) + n}); err != nil {
		return fmt.Errorf("B, after the swap: %w", err)
	}

	// a next implementation with counts of its own would restart them
	c, err := knops.Load(nil)
	if err != nil {
		return fmt.Errorf("load C: %w", err)
	}
	defer c.Close()
	err = b.Update(c)
	if err == nil || !strings.Contains(err.Error(), "has its own map calls") {
		return fmt.Errorf("swapping in an implementation without MapsFrom: %v, want a refusal naming map calls", err)
	}
	fmt.Printf("mapsguest: refused as it should: %v\n", err)
	if err := call(trig, 7, 7+variant); err != nil {
		return fmt.Errorf("B after the refused swap: %w", err)
	}
	return b.Detach()
}
