package scxsimple

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/structops/structops-gen/bpf"
)

// The scheduler's maps. They are plain cilium/ebpf map specs handed to
// bpf.Load through bpf.Options.Maps and referred to by name from the
// programs (an ld_imm64 with that Reference); everything that knows their
// layout is in this file, so that moving to a typed maps API changes only
// it.
const (
	// StatsMap is the per-CPU array of the NumStats u64 counters.
	StatsMap = "stats"
	// VtimeMap is an array of one u64: the global vtime (scx_simple's
	// vtime_now), read and written by the programs through a direct
	// pointer to its value.
	VtimeMap = "vtime_now"
	// ExitMap is an array of one exit record (exit writes it; see Exit).
	ExitMap = "uei"
)

// Layout of the exit record in ExitMap: the fields of struct
// scx_exit_info the loader prints, the strings cut to these lengths
// (SCX_EXIT_REASON_LEN, SCX_EXIT_MSG_LEN).
const (
	exitKindOff   = 0
	exitCodeOff   = 8
	exitReasonOff = 16
	exitReasonLen = 128
	exitMsgOff    = exitReasonOff + exitReasonLen
	exitMsgLen    = 1024
	exitSize      = exitMsgOff + exitMsgLen
)

// Maps returns the specs of the scheduler's maps, for bpf.Options.Maps.
func Maps() map[string]*ebpf.MapSpec {
	return map[string]*ebpf.MapSpec{
		StatsMap: {Name: StatsMap, Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: NumStats},
		VtimeMap: {Name: VtimeMap, Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1},
		ExitMap:  {Name: ExitMap, Type: ebpf.Array, KeySize: 4, ValueSize: exitSize, MaxEntries: 1},
	}
}

// Load loads the scheduler of configuration c (not attached yet); opts may
// be nil. Its maps are added to opts.Maps.
func Load(c Config, opts *bpf.Options) (*bpf.Impl, error) {
	var o bpf.Options
	if opts != nil {
		o = *opts
	}
	maps := Maps()
	for k, v := range o.Maps {
		maps[k] = v
	}
	o.Maps = maps
	return bpf.Load(Ops, Programs(c), &o)
}

// Stats are the scheduler's counters summed over the CPUs.
type Stats struct {
	Local  uint64 // tasks inserted into an idle CPU's local queue by select_cpu
	Global uint64 // tasks inserted into the shared queue by enqueue
}

func (s Stats) String() string { return fmt.Sprintf("local=%d global=%d", s.Local, s.Global) }

// ReadStats sums the per-CPU counters of a loaded scheduler.
func ReadStats(impl *bpf.Impl) (Stats, error) {
	m := impl.Map(StatsMap)
	if m == nil {
		return Stats{}, fmt.Errorf("%s: no map %s: load the scheduler first", Name, StatsMap)
	}
	var sum [NumStats]uint64
	for i := uint32(0); i < NumStats; i++ {
		var perCPU []uint64
		if err := m.Lookup(i, &perCPU); err != nil {
			return Stats{}, fmt.Errorf("read %s[%d]: %w", StatsMap, i, err)
		}
		for _, v := range perCPU {
			sum[i] += v
		}
	}
	return Stats{Local: sum[StatLocal], Global: sum[StatGlobal]}, nil
}

// ReadExit returns the exit record exit wrote, and false while it has
// written none (the scheduler still runs, or was never enabled).
func ReadExit(impl *bpf.Impl) (bpf.SchedExtExit, bool, error) {
	m := impl.Map(ExitMap)
	if m == nil {
		return bpf.SchedExtExit{}, false, fmt.Errorf("%s: no map %s: load the scheduler first", Name, ExitMap)
	}
	var b []byte
	if err := m.Lookup(uint32(0), &b); err != nil {
		return bpf.SchedExtExit{}, false, fmt.Errorf("read %s: %w", ExitMap, err)
	}
	if len(b) != exitSize {
		return bpf.SchedExtExit{}, false, fmt.Errorf("read %s: %d bytes, want %d", ExitMap, len(b), exitSize)
	}
	e := bpf.SchedExtExit{
		Kind:     binary.LittleEndian.Uint32(b[exitKindOff:]),
		ExitCode: int64(binary.LittleEndian.Uint64(b[exitCodeOff:])),
		Reason:   cstring(b[exitReasonOff : exitReasonOff+exitReasonLen]),
		Msg:      cstring(b[exitMsgOff : exitMsgOff+exitMsgLen]),
	}
	return e, e.Kind != 0, nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
