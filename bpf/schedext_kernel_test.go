package bpf_test

import (
	"errors"
	"testing"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

// TestSchedExtExitMap checks, on the host (no sched_ext needed), that a
// loaded implementation finds its exit-info map by the record type and
// decodes what is written into it; and that one without such a map says
// so with ErrNoExitInfo.
func TestSchedExtExitMap(t *testing.T) {
	needRoot(t)
	uei := sasm.NewExitInfo(mapName("uei"), sasm.ExitInfoLayout7)
	progs := minimalCC()
	// ssthresh takes the record's address (no helper): the map exists
	progs["ssthresh"] = sasm.Seq(uei.ValuePtr(asm.R1), sigSsthresh.RetImm(10))
	impl := load(t, ccName("x"), progs, nil)
	if _, ok, err := impl.SchedExtExit(); ok || err != nil {
		t.Fatalf("before exit: ok %v, %v; want no record yet", ok, err)
	}
	m, err := bpf.MapOf(impl, uei.Map)
	if err != nil {
		t.Fatal(err)
	}
	var r sasm.ExitRecord
	r.Kind = 1026
	copy(r.Reason[:], "runnable task stall")
	copy(r.Msg[:], "spin[42] failed to run for 1.5s")
	if err := m.Update(0, r); err != nil {
		t.Fatal(err)
	}
	e, ok, err := impl.SchedExtExit()
	if !ok || err != nil || e.String() != "SCX_EXIT_ERROR_STALL (1026): runnable task stall: spin[42] failed to run for 1.5s" || !e.Error() {
		t.Errorf("record: %v, ok %v, %v", e, ok, err)
	}

	other := load(t, ccName("y"), minimalCC(), nil)
	if _, _, err := other.SchedExtExit(); !errors.Is(err, bpf.ErrNoExitInfo) {
		t.Errorf("without an exit-info map: %v, want ErrNoExitInfo", err)
	}
}
