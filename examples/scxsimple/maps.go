package scxsimple

import (
	"fmt"
	"io"

	"github.com/cilium/ebpf"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

// The scheduler's maps, declared with sasm: bpf.Load creates each one a
// program uses.
var (
	// StatsMap holds the NumStats per-CPU u64 counters (StatLocal,
	// StatGlobal).
	StatsMap = sasm.NewMap[uint32, uint64]("stats", ebpf.PerCPUArray, NumStats)
	// VtimeMap is the global vtime (scx_simple's vtime_now): an array of
	// one u64 the programs reach through a direct pointer to its value.
	VtimeMap = sasm.NewMap[uint32, uint64]("vtime_now", ebpf.Array, 1)
	// ExitMap is the exit record exit writes (scx's UEI).
	ExitMap = sasm.NewExitInfo("uei", sasm.ExitInfoLayout7)
)

// Load loads the scheduler of configuration c (not attached yet); opts may
// be nil.
func Load(c Config, opts *bpf.Options) (*bpf.Impl, error) {
	return bpf.Load(Ops, Programs(c), opts)
}

// Stats are the scheduler's counters summed over the CPUs.
type Stats struct {
	Local  uint64 // tasks inserted into an idle CPU's local queue by select_cpu
	Global uint64 // tasks inserted into the shared queue by enqueue
}

func (s Stats) String() string { return fmt.Sprintf("local=%d global=%d", s.Local, s.Global) }

// ReadStats sums the per-CPU counters of a loaded scheduler.
func ReadStats(impl *bpf.Impl) (Stats, error) {
	m, err := bpf.MapOf(impl, StatsMap)
	if err != nil {
		return Stats{}, err
	}
	var sum [NumStats]uint64
	for i := range sum {
		if sum[i], err = bpf.Sum(m, uint32(i)); err != nil {
			return Stats{}, err
		}
	}
	return Stats{Local: sum[StatLocal], Global: sum[StatGlobal]}, nil
}

// PrintStats writes "stats: local=N global=M" for RunSchedExt.
func PrintStats(impl *bpf.Impl) func(w io.Writer) error {
	return func(w io.Writer) error {
		st, err := ReadStats(impl)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "stats: %s\n", st)
		return err
	}
}

// ReadExit returns the exit record exit wrote, and false while it has
// written none (the scheduler still runs, or was never enabled).
func ReadExit(impl *bpf.Impl) (bpf.SchedExtExit, bool, error) { return impl.SchedExtExit() }
