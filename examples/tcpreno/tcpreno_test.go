package tcpreno

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/examples/internal/hosttest"
	"github.com/structops/structops-gen/examples/tcpreno/tcpcongestionops"
	"github.com/structops/structops-gen/gen"
)

const (
	ccName        = "goreno"
	transferBytes = 64 << 20
	// the kernel's TCP_INFINITE_SSTHRESH: no loss seen yet
	infiniteSsthresh = 0x7fffffff
)

// spec is the generation this example comes from (see doc.go).
var spec = gen.Spec{BTF: hosttest.VmlinuxBTF, Ops: "tcp_congestion_ops", Set: []string{"name=" + ccName}}

func TestGeneratedFilesUpToDate(t *testing.T) {
	hosttest.CheckDrift(t, spec, ".", "github.com/structops/structops-gen/examples/tcpreno")
}

// enableStats turns on the kernel's BPF run statistics for the test, so
// Program.Stats counts the runs of each callback.
func enableStats(t *testing.T) {
	t.Helper()
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		t.Fatalf("enable BPF run statistics (BPF_ENABLE_STATS, Linux 5.8+; the run counts prove the callbacks ran): %v", err)
	}
	t.Cleanup(func() { stats.Close() })
}

// attach loads and attaches the Reno of callbacks.go (with progs replacing
// some of its programs) as goreno; it is detached when the test ends.
func attach(t *testing.T, progs map[string]asm.Instructions) *bpf.Impl {
	t.Helper()
	hosttest.NeedBPF(t)
	if hosttest.Registered(t, ccName) {
		t.Fatalf("%s is already registered: stop the loader that attached it", ccName)
	}
	all, err := tcpcongestionops.Programs()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range progs {
		all[k] = v
	}
	impl, err := bpf.Load(tcpcongestionops.Ops, all, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { impl.Close() })
	if err := impl.Attach(); err != nil {
		t.Fatal(err)
	}
	if !hosttest.Registered(t, ccName) {
		t.Fatalf("attached, but %s is not in %s", ccName, hosttest.Available)
	}
	t.Cleanup(func() {
		if err := impl.Detach(); err != nil {
			t.Error(err)
		}
		hosttest.WaitRegistered(t, ccName, false)
	})
	return impl
}

// runs returns how many times the program of a callback has run.
func runs(t *testing.T, impl *bpf.Impl, member string) uint64 {
	t.Helper()
	st, err := impl.Program(member).Stats()
	if err != nil {
		t.Fatalf("run statistics of %s: %v", member, err)
	}
	return st.RunCount
}

// checkCounts checks the call counts the bodies keep in Calls (a per-CPU
// array, summed by Impl.CallCounts) against the kernel's run statistics of
// each program: equal, read between two equal readings of the statistics
// (a run counts itself when it starts, the kernel when it ends).
func checkCounts(t *testing.T, impl *bpf.Impl) {
	t.Helper()
	for try := 0; ; try++ {
		var before, after []uint64
		for _, m := range tcpcongestionops.Calls.Members {
			before = append(before, runs(t, impl, m))
		}
		counts, err := impl.CallCounts()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tcpcongestionops.Calls.Members {
			after = append(after, runs(t, impl, m))
		}
		if !slices.Equal(before, after) && try < 100 {
			continue // a callback ran meanwhile
		}
		for i, c := range counts {
			if c.Calls != after[i] {
				t.Errorf("Calls counted %d calls of %s, the kernel ran it %d times", c.Calls, c.Member, after[i])
			}
		}
		t.Logf("call counts %v", counts)
		return
	}
}

// TestTransfer attaches the Reno of callbacks.go, moves 64 MiB over a
// loopback connection that uses it on both ends, and checks the bytes
// arrive intact and that slow start worked: the window grew past the
// initial one, by at most one segment per acknowledged segment; the call
// counts the bodies keep are the kernel's run counts. The
// connection is in a namespace of the test's own (hosttest.NewTCPNetns):
// with the host's default buffers the receive window, not the congestion
// control, can hold the sender back, and then Reno rightly leaves the
// window alone.
func TestTransfer(t *testing.T) {
	hosttest.NeedBPF(t)
	enableStats(t)
	impl := attach(t, nil)

	l := hosttest.Dial(t, ccName, hosttest.NewTCPNetns(t), nil)
	before := l.Info(t)
	start := time.Now()
	after := l.Send(t, transferBytes)
	elapsed := time.Since(start)
	segs := after.Data_segs_out - before.Data_segs_out
	t.Logf("moved %d MiB intact over %s in %v (%.0f MiB/s): %d segments; snd_cwnd %d -> %d, snd_ssthresh %d",
		transferBytes>>20, ccName, elapsed, float64(transferBytes>>20)/elapsed.Seconds(), segs, before.Snd_cwnd, after.Snd_cwnd, after.Snd_ssthresh)

	if n := runs(t, impl, "cong_avoid"); n == 0 {
		t.Errorf("cong_avoid never ran: the connection did not use the BPF congestion control")
	}
	checkCounts(t, impl)
	if after.Snd_cwnd <= before.Snd_cwnd {
		t.Errorf("snd_cwnd %d after %d segments, started at %d: the window did not grow (slow start does nothing?)", after.Snd_cwnd, segs, before.Snd_cwnd)
	}
	if after.Snd_cwnd > before.Snd_cwnd+segs {
		t.Errorf("snd_cwnd %d after %d segments from %d: grew faster than one segment per acknowledged segment", after.Snd_cwnd, segs, before.Snd_cwnd)
	}
}

// TestLossAndUndo runs the Reno through the events it exists for, on a
// loopback connection in a network namespace of the test's own, where a
// BPF dropper loses chosen packets and TCP's sysctls keep the kernel's own
// window changes out of the way (hosttest.NewTCPNetns). Four phases, each
// ending with every byte acknowledged, 64 MiB in all, each byte checked:
//
//  1. slow start: the window grows from the initial one, at most by one
//     segment per acknowledged segment; no loss yet, so ssthresh is
//     infinite;
//  2. a lost segment: fast recovery calls ssthresh with the window of
//     phase 1, so snd_ssthresh = max(cwnd/2, 2) exactly, and recovery
//     leaves the window at ssthresh or, after it, above;
//  3. congestion avoidance: above ssthresh the window grows by about one
//     segment per window of acknowledged segments, not one per segment;
//  4. a spurious timeout (the ACKs are lost, not the data): the timeout
//     calls ssthresh, the DSACK of the retransmission undoes it, which
//     calls undo_cwnd: the window comes back to its value before the
//     timeout, ssthresh to max(ssthresh, 3/4 cwnd) (tcp_undo_cwnd_reduction
//     restores prior_ssthresh = tcp_current_ssthresh).
func TestLossAndUndo(t *testing.T) {
	hosttest.NeedBPF(t)
	enableStats(t)
	impl := attach(t, nil)
	ns := hosttest.NewTCPNetns(t)
	var drop *hosttest.Dropper
	l := hosttest.Dial(t, ccName, ns, func(port int) { drop = ns.NewDropper(t, port) })
	count := func() map[string]uint64 {
		m := map[string]uint64{}
		for _, cb := range []string{"ssthresh", "cong_avoid", "undo_cwnd"} {
			m[cb] = runs(t, impl, cb)
		}
		return m
	}
	logInfo := func(phase string, i *unix.TCPInfo) {
		t.Logf("%s: snd_cwnd %d, snd_ssthresh %d, data segments out %d, retransmitted %d, timeouts %d, receive-window-limited %dus; %v",
			phase, i.Snd_cwnd, i.Snd_ssthresh, i.Data_segs_out, i.Total_retrans, i.Total_rto, i.Rwnd_limited, drop.Counts(t))
	}

	// 1. slow start
	info0 := l.Info(t)
	runs0 := count()
	info1 := l.Send(t, 4<<20)
	runs1 := count()
	logInfo("1 slow start", info1)
	segs1 := info1.Data_segs_out - info0.Data_segs_out
	if runs1["cong_avoid"] == runs0["cong_avoid"] {
		t.Fatal("phase 1: cong_avoid never ran")
	}
	if info1.Snd_cwnd <= info0.Snd_cwnd || info1.Snd_cwnd > info0.Snd_cwnd+segs1 {
		t.Fatalf("phase 1: snd_cwnd %d after %d segments from %d: want growth of 1..%d (one per acknowledged segment; receive-window-limited %dus)",
			info1.Snd_cwnd, segs1, info0.Snd_cwnd, segs1, info1.Rwnd_limited)
	}
	if info1.Snd_ssthresh != infiniteSsthresh || info1.Total_retrans != 0 {
		t.Fatalf("phase 1: snd_ssthresh %d, %d retransmissions: want no loss yet", info1.Snd_ssthresh, info1.Total_retrans)
	}

	// 2. one lost segment: fast recovery
	drop.DropNextData(t)
	info2 := l.Send(t, 8<<20)
	runs2 := count()
	logInfo("2 loss", info2)
	if c := drop.Counts(t); c.Data != 1 || drop.Armed(t) {
		t.Fatalf("phase 2: %v, armed %v: want exactly one data segment dropped", c, drop.Armed(t))
	}
	if info2.Total_retrans == info1.Total_retrans || info2.Total_rto != info1.Total_rto {
		t.Fatalf("phase 2: %d retransmissions, %d timeouts: want the loss repaired by fast retransmit, without a timeout",
			info2.Total_retrans-info1.Total_retrans, info2.Total_rto-info1.Total_rto)
	}
	if runs2["ssthresh"] == runs1["ssthresh"] {
		t.Fatal("phase 2: ssthresh did not run on the loss")
	}
	wantSsthresh := max(info1.Snd_cwnd/2, 2)
	if info2.Snd_ssthresh != wantSsthresh {
		t.Fatalf("phase 2: snd_ssthresh %d after the loss, cwnd was %d: want max(cwnd/2, 2) = %d", info2.Snd_ssthresh, info1.Snd_cwnd, wantSsthresh)
	}
	if info2.Snd_cwnd < wantSsthresh {
		t.Fatalf("phase 2: snd_cwnd %d after recovery, below ssthresh %d", info2.Snd_cwnd, wantSsthresh)
	}

	// 3. congestion avoidance: additive increase
	info3 := l.Send(t, 48<<20)
	runs3 := count()
	logInfo("3 congestion avoidance", info3)
	segs3 := info3.Data_segs_out - info2.Data_segs_out
	w := info2.Snd_cwnd
	if runs3["cong_avoid"] == runs2["cong_avoid"] || info3.Total_retrans != info2.Total_retrans {
		t.Fatalf("phase 3: cong_avoid ran %d times, %d retransmissions: want runs and no loss",
			runs3["cong_avoid"]-runs2["cong_avoid"], info3.Total_retrans-info2.Total_retrans)
	}
	if segs3 < 2*w {
		t.Fatalf("phase 3: only %d segments for a window of %d: send more", segs3, w)
	}
	if info3.Snd_cwnd <= w || info3.Snd_cwnd > w+segs3/w+1 {
		t.Fatalf("phase 3: snd_cwnd %d after %d segments from %d in congestion avoidance: want %d..%d (one segment per window)",
			info3.Snd_cwnd, segs3, w, w+1, w+segs3/w+1)
	}
	if info3.Snd_ssthresh != wantSsthresh {
		t.Fatalf("phase 3: snd_ssthresh %d, want it unchanged at %d", info3.Snd_ssthresh, wantSsthresh)
	}

	// 4. a spurious timeout, undone
	drop.DropAcksUntilRetransmit(t)
	before := drop.Counts(t)
	info4 := l.Send(t, 4<<20)
	runs4 := count()
	logInfo("4 spurious timeout", info4)
	if c := drop.Counts(t); c.Acks == before.Acks || c.Retransmits == before.Retransmits || drop.Armed(t) {
		t.Fatalf("phase 4: %v (before: %v), armed %v: want ACKs dropped until a retransmission", c, before, drop.Armed(t))
	}
	if info4.Total_rto == info3.Total_rto {
		t.Fatalf("phase 4: no retransmission timeout")
	}
	if runs4["ssthresh"] == runs3["ssthresh"] {
		t.Fatal("phase 4: ssthresh did not run on the timeout")
	}
	if runs4["undo_cwnd"] == runs3["undo_cwnd"] {
		t.Fatal("phase 4: undo_cwnd did not run, though the timeout was spurious (DSACK, F-RTO)")
	}
	w4 := info3.Snd_cwnd
	if info4.Snd_cwnd < w4 || info4.Snd_cwnd > w4+2 {
		t.Fatalf("phase 4: snd_cwnd %d after the undo, was %d before the timeout: want it restored (max(snd_cwnd, prior_cwnd), then at most 2 more)", info4.Snd_cwnd, w4)
	}
	if want := max(info3.Snd_ssthresh, w4>>1+w4>>2); info4.Snd_ssthresh != want {
		t.Fatalf("phase 4: snd_ssthresh %d after the undo: want the prior max(ssthresh %d, 3/4 cwnd %d) = %d",
			info4.Snd_ssthresh, info3.Snd_ssthresh, w4>>1+w4>>2, want)
	}
	t.Logf("callback runs: %v", runs4)
}

// TestCongAvoidKfunc swaps in the variant of cong_avoid that calls the
// kernel's tcp_reno_cong_avoid kfunc (resolved against the running
// kernel's BTF at load) and checks that it loads, runs and grows the window.
func TestCongAvoidKfunc(t *testing.T) {
	hosttest.NeedBPF(t)
	enableStats(t)
	impl := attach(t, map[string]asm.Instructions{"cong_avoid": tcpcongestionops.CongAvoidKfunc()})
	l := hosttest.Dial(t, ccName, hosttest.NewTCPNetns(t), nil)
	before := l.Info(t)
	after := l.Send(t, 8<<20)
	if n := runs(t, impl, "cong_avoid"); n == 0 {
		t.Fatal("the kfunc cong_avoid never ran")
	}
	if after.Snd_cwnd <= before.Snd_cwnd {
		t.Fatalf("snd_cwnd %d -> %d: tcp_reno_cong_avoid did not grow the window", before.Snd_cwnd, after.Snd_cwnd)
	}
}

// structOpsMap returns the map ID of a struct_ops link (bpf_link_info's
// struct_ops.map_id, which cilium/ebpf's link.Info does not decode).
func structOpsMap(l link.Link) (ebpf.MapID, error) {
	fd, ok := l.(interface{ FD() int })
	if !ok {
		return 0, errors.New("link without an fd")
	}
	// struct bpf_link_info: type, id, prog_id, then the union at 16
	var info [64]byte
	attr := struct {
		fd      uint32
		infoLen uint32
		info    uint64
	}{uint32(fd.FD()), uint32(len(info)), uint64(uintptr(unsafe.Pointer(&info[0])))}
	if _, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_OBJ_GET_INFO_BY_FD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr)); errno != 0 {
		return 0, fmt.Errorf("BPF_OBJ_GET_INFO_BY_FD: %w", errno)
	}
	return ebpf.MapID(*(*uint32)(unsafe.Pointer(&info[16]))), nil
}

// ours is what a loader of goreno leaves in the kernel: its struct_ops map
// (found by type and the name in its value) and the links attaching it.
type ours struct {
	maps  []ebpf.MapID
	links []link.ID
}

// without returns o less what was already there in before (the maps of
// earlier tests are freed asynchronously).
func (o ours) without(before ours) ours {
	var out ours
	for _, id := range o.maps {
		if !slices.Contains(before.maps, id) {
			out.maps = append(out.maps, id)
		}
	}
	for _, id := range o.links {
		if !slices.Contains(before.links, id) {
			out.links = append(out.links, id)
		}
	}
	return out
}

// findOurs lists the struct_ops maps whose tcp_congestion_ops value is
// named goreno, and the struct_ops links of those maps.
func findOurs(t *testing.T) ours {
	t.Helper()
	kspec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	var value *btf.Struct
	if err := kspec.TypeByName("bpf_struct_ops_tcp_congestion_ops", &value); err != nil {
		t.Fatal(err)
	}
	dataOff, nameOff := -1, -1
	for _, m := range value.Members {
		if m.Name == "data" {
			dataOff = int(m.Offset.Bytes())
		}
	}
	for _, m := range tcpcongestionops.Ops.Members {
		if m.Name == "name" {
			nameOff = m.Offset
		}
	}
	if dataOff < 0 || nameOff < 0 {
		t.Fatal("no data member in bpf_struct_ops_tcp_congestion_ops, or no name in tcp_congestion_ops")
	}
	var o ours
	for id := ebpf.MapID(0); ; {
		next, err := ebpf.MapGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			t.Fatalf("map IDs: %v", err)
		}
		id = next
		m, err := ebpf.NewMapFromID(id)
		if errors.Is(err, os.ErrNotExist) {
			continue // gone meanwhile
		}
		if err != nil {
			t.Fatalf("map %d: %v", id, err)
		}
		info, err := m.Info()
		if err == nil && info.Type == ebpf.StructOpsMap && int(info.ValueSize) == int(value.Size) {
			v := make([]byte, info.ValueSize)
			if err := m.Lookup(uint32(0), &v); err == nil {
				name := v[dataOff+nameOff : dataOff+nameOff+16]
				if string(bytes.TrimRight(name, "\x00")) == ccName {
					o.maps = append(o.maps, id)
				}
			}
		}
		m.Close()
	}
	it := new(link.Iterator)
	defer it.Close()
	for it.Next() {
		info, err := it.Link.Info()
		if err != nil || info.Type != link.StructOpsType {
			continue
		}
		if mid, err := structOpsMap(it.Link); err == nil && slices.Contains(o.maps, mid) {
			o.links = append(o.links, it.ID)
		}
	}
	if err := it.Err(); err != nil {
		t.Fatalf("link IDs: %v", err)
	}
	return o
}

// TestLoaderSIGKILL runs the generated loader, kills it with SIGKILL once
// the congestion control is registered, and checks that nothing stays:
// neither the name, nor the struct_ops map, nor its link (the map is
// attached through a link, which the kernel releases with the dead
// process's fds; freeing the map then waits for RCU, hence the wait).
func TestLoaderSIGKILL(t *testing.T) {
	hosttest.NeedBPF(t)
	if hosttest.Registered(t, ccName) {
		t.Fatalf("%s is already registered: stop the loader that attached it", ccName)
	}
	before := findOurs(t)
	bin := filepath.Join(t.TempDir(), "loader")
	if out, err := exec.Command("go", "build", "-o", bin, "./tcpcongestionops/loader").CombinedOutput(); err != nil {
		t.Fatalf("build the loader: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !hosttest.Registered(t, ccName) {
		select {
		case err := <-exited:
			t.Fatalf("the loader exited before attaching: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	live := findOurs(t).without(before)
	if len(live.maps) != 1 || len(live.links) != 1 {
		cmd.Process.Kill()
		t.Fatalf("the running loader has struct_ops maps %v and links %v named %s: want one of each", live.maps, live.links, ccName)
	}
	t.Logf("the loader's struct_ops map %d, link %d", live.maps[0], live.links[0])
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the loader ended with %v, want death by SIGKILL", err)
	}
	hosttest.WaitRegistered(t, ccName, false)
	gone := func() bool {
		m, merr := ebpf.NewMapFromID(live.maps[0])
		if merr == nil {
			m.Close()
		}
		l, lerr := link.NewFromID(live.links[0])
		if lerr == nil {
			l.Close()
		}
		return errors.Is(merr, os.ErrNotExist) && errors.Is(lerr, os.ErrNotExist)
	}
	// the deadline only bounds a failure
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left := findOurs(t).without(before)
		if gone() && len(left.maps) == 0 && len(left.links) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after SIGKILL, struct_ops maps %v and links %v of %s remain (the loader had map %d, link %d)",
				left.maps, left.links, ccName, live.maps[0], live.links[0])
		}
	}
}
