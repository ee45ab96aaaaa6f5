package scxsimple

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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
// (an SCX_EXIT_ERROR* exit: a stall, an error in a callback); the error
// wrapping it carries the kernel's exit kind, reason and message.
var ErrEjected = errors.New("the kernel ejected the scheduler")

// Run loads and attaches the scheduler, waits until sched_ext reports it
// enabled (printing "state: enabled" and "ops: <name>"), runs it until
// Duration passes (Once) or a signal arrives, printing its statistics, and
// detaches it. When the kernel ejects it meanwhile, Run prints the exit
// record and returns an error wrapping ErrEjected.
func Run(ctx context.Context, o RunOptions) error {
	if o.Duration <= 0 {
		o.Duration = 2 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
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

	if err := impl.Attach(); err != nil {
		return err
	}
	fmt.Fprintf(o.Stderr, "%s: attached\n", Name)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	state, err := bpf.WaitSchedExtState(wctx, "enabled")
	cancel()
	if err != nil {
		if e, ok, _ := ReadExit(impl); ok {
			return ejected(o, impl, e)
		}
		return fmt.Errorf("%s attached, but %w", Name, err)
	}
	ops, _ := bpf.SchedExtRootOps()
	fmt.Fprintf(o.Stdout, "state: %s\nops: %s\n", state, ops)

	var end <-chan time.Time
	if o.Once {
		end = time.After(o.Duration)
	}
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case s := <-sigs:
			fmt.Fprintf(o.Stderr, "%s: %v: detaching\n", Name, s)
			done = true
		case <-end:
			done = true
		case <-tick.C:
			if o.Stats {
				printStats(o, impl)
			}
		case <-poll.C:
			if e, ok, err := ReadExit(impl); err != nil {
				return err
			} else if ok {
				return ejected(o, impl, e)
			}
		}
	}
	if o.Stats {
		printStats(o, impl)
	}
	if err := impl.Detach(); err != nil {
		return err
	}
	if e, ok, _ := ReadExit(impl); ok {
		fmt.Fprintf(o.Stdout, "exit: %s\n", e)
	}
	state, _ = bpf.SchedExtState()
	fmt.Fprintf(o.Stderr, "%s: detached (sched_ext state: %s)\n", Name, state)
	return nil
}

// ejected prints the exit record of a scheduler the kernel disabled and
// returns the error for it.
func ejected(o RunOptions, impl *bpf.Impl, e bpf.SchedExtExit) error {
	if o.Stats {
		printStats(o, impl)
	}
	fmt.Fprintf(o.Stdout, "exit: %s\n", e)
	impl.Detach()
	if !e.Error() {
		return fmt.Errorf("%s: the kernel disabled the scheduler: %s", Name, e)
	}
	return fmt.Errorf("%s: %w: %s", Name, ErrEjected, e)
}

func printStats(o RunOptions, impl *bpf.Impl) {
	st, err := ReadStats(impl)
	if err != nil {
		fmt.Fprintf(o.Stderr, "%s: %v\n", Name, err)
		return
	}
	fmt.Fprintf(o.Stdout, "stats: %s\n", st)
}
