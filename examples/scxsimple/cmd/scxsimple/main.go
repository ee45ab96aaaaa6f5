// Command scxsimple runs the Go scx_simple scheduler (package scxsimple):
// attach, wait until sched_ext is enabled, run, print statistics, detach.
// It exits 1 printing the kernel's reason when the kernel ejects the
// scheduler.
package main

import (
	"context"
	"fmt"
	"os"

	flag "github.com/spf13/pflag"

	"github.com/structops/structops-gen/examples/scxsimple"
)

func main() {
	var o scxsimple.RunOptions
	flag.BoolVar(&o.Once, "once", false, "attach, run for --duration, print the statistics and detach")
	flag.DurationVar(&o.Duration, "duration", 0, "how long --once runs (default 2s)")
	flag.BoolVar(&o.Stats, "stats", false, "print the local and global dispatch counters every --interval and at the end")
	flag.DurationVar(&o.Interval, "interval", 0, "how often --stats prints (default 1s)")
	flag.BoolVarP(&o.FIFO, "fifo", "f", false, "a global FIFO instead of weighted vtime")
	flag.BoolVar(&o.Stall, "stall", false, "a broken scheduler whose dispatch never moves a task: the kernel's watchdog ejects it after --timeout-ms")
	flag.Uint32Var(&o.TimeoutMs, "timeout-ms", 0, "sched_ext_ops.timeout_ms: the watchdog timeout, at most 30000 (default: the kernel's 30 s)")
	flag.BoolVar(&o.VerifierLog, "verifier-log", false, "show the whole verifier log when a program is rejected")
	flag.Parse()
	o.Stdout, o.Stderr = os.Stdout, os.Stderr
	if err := scxsimple.Run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "scxsimple:", err)
		os.Exit(1)
	}
}
