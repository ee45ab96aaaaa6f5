package scxsimple

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/structops/structops-gen/bpf"
)

// RunOptions configure Run.
type RunOptions struct {
	Config
	// Once: run for Duration, then detach (else until SIGINT or SIGTERM).
	Once     bool
	Duration time.Duration
	// Stats: print the counters every Interval and at the end.
	Stats    bool
	Interval time.Duration
	// TimeoutMs sets sched_ext_ops.timeout_ms (0: the kernel's 30 s).
	TimeoutMs uint32
	// VerifierLog puts the whole verifier log in a rejection's error.
	VerifierLog bool
	// Stdout gets the state, statistics and exit lines; Stderr progress.
	Stdout, Stderr io.Writer
}

// ErrEjected is returned by Run when the kernel disabled the scheduler
// (bpf.ErrSchedExtEjected).
var ErrEjected = bpf.ErrSchedExtEjected

// Run loads the scheduler and runs it with bpf.RunSchedExt: attach, wait
// until sched_ext reports it enabled (printing "state: enabled" and "ops:
// <name>"), run until Duration passes (Once) or a signal arrives, printing
// "stats: local=N global=M" lines, detach. When the kernel ejects it
// meanwhile, Run prints the exit record and returns an error wrapping
// ErrEjected.
func Run(ctx context.Context, o RunOptions) error {
	if o.Config.Kfuncs == (Kfuncs{}) {
		k, err := ProbeKfuncs()
		if err != nil {
			return err
		}
		o.Config.Kfuncs = k
	}
	opts := &bpf.Options{VerifierLog: o.VerifierLog}
	if o.TimeoutMs != 0 {
		b := make([]byte, 4)
		binary.LittleEndian.PutUint32(b, o.TimeoutMs)
		opts.Data = map[string][]byte{"timeout_ms": b}
	}
	impl, err := Load(o.Config, opts)
	if err != nil {
		return err
	}
	defer impl.Close()

	// Signals are caught from before the attach: SIGINT and SIGTERM
	// detach, returning every task to the fair class (SIGKILL closes the
	// link, which detaches too).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	ro := bpf.SchedExtRunOptions{
		Name: Name, Once: o.Once, Duration: o.Duration, Interval: o.Interval,
		Signals: sigs, Stdout: o.Stdout, Stderr: o.Stderr,
	}
	if o.Stats {
		ro.Stats = PrintStats(impl)
	}
	return bpf.RunSchedExt(ctx, impl, ro)
}
