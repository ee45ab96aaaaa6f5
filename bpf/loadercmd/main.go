// Package loadercmd is the command line of a generated loader
// (<pkg>/loader/main.go calls Main): its flags, its modes (--once, --call,
// periodic, and running a sched_ext scheduler), the calls through the
// module's trigger (package trigger) and the call counts (--stats).
// The runtime it drives is package bpf.
package loadercmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/cilium/ebpf/asm"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpf/trigger"
)

// config is the parsed command line of a loader.
type config struct {
	interval    time.Duration
	once        bool
	calls       []string
	verifierLog bool
	timing      bool
	// stats prints the call counts (Ops.Counts) after the calls and
	// every interval.
	stats bool
	// pin is Options.PinDir: the bpffs directory of the maps.
	pin string
	// duration is how long --once runs a sched_ext scheduler;
	// durationSet: given on the command line.
	duration    time.Duration
	durationSet bool
	// set are the data member assignments (--set member=value).
	set []string
}

// implementation is what Main drives: *bpf.Impl, or a fake in tests.
type implementation interface {
	Attach() error
	Detach() error
	Close() error
	LinkID() (uint32, error)
	Module() string
	CallCounts() ([]bpf.CallCount, error)
	SchedExtExit() (bpf.SchedExtExit, bool, error)
}

// The kernel-facing parts of Main, replaced by fakes in tests.
var (
	loadImpl = func(ops *bpf.Ops, progs map[string]asm.Instructions, opts *bpf.Options) (implementation, error) {
		return bpf.Load(ops, progs, opts)
	}
	newTrigger = trigger.New
	notifyStop = func() (<-chan os.Signal, func()) {
		c := make(chan os.Signal, 1)
		signal.Notify(c, unix.SIGINT, unix.SIGTERM)
		return c, func() { signal.Stop(c) }
	}
	newTicker = func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}
)

// The texts the default mode writes to the trigger.
const (
	firstMessage    = "Hello from userspace!"
	periodicMessage = "Periodic trigger"
)

func parseFlags(name string, args []string, stderr io.Writer) (config, error) {
	var c config
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [--once | --call \"<member> <args>\"] [--interval 2s] [--stats] [--set member=value] [--pin DIR] [--verifier-log]\n\n"+
			"Loads and attaches the BPF implementation of struct %s. By default it triggers the\n"+
			"callbacks through the module's proc file, then again every interval, until SIGINT or\n"+
			"SIGTERM, then detaches. A sched_ext scheduler (sched_ext_ops) runs until SIGINT or\n"+
			"SIGTERM, or for --duration with --once.\n\n", name, name)
		fs.PrintDefaults()
	}
	fs.DurationVar(&c.interval, "interval", 2*time.Second, "time between periodic triggers")
	fs.BoolVar(&c.once, "once", false, "attach, trigger once, print the result, detach")
	fs.StringArrayVar(&c.calls, "call", nil, "attach, call a callback (\"<member> <arg> ...\"), print its return value, detach; repeatable: one value per line, in order")
	fs.BoolVar(&c.verifierLog, "verifier-log", false, "show the whole verifier log when a program is rejected")
	fs.BoolVar(&c.timing, "timing", false, "print how long loading, attaching, triggering and detaching took (stderr)")
	fs.BoolVar(&c.stats, "stats", false, "print \"<member> <calls>\" per callback (summed over CPUs) after the calls, and every interval")
	fs.StringVar(&c.pin, "pin", "", "pin the maps under this bpffs directory (e.g. /sys/fs/bpf/NAME), or reuse the maps pinned there")
	fs.StringArrayVar(&c.set, "set", nil, "set a data member of the ops struct (member=value: an integer, or a string for a char array); repeatable")
	fs.DurationVar(&c.duration, "duration", 2*time.Second, "sched_ext: how long --once runs the scheduler")
	_ = fs.MarkHidden("timing") // for benchmarks (BENCHMARKS.md)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.durationSet = fs.Changed("duration")
	if c.duration <= 0 {
		return c, fmt.Errorf("--duration %v: give a positive duration such as 2s", c.duration)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: quote the --call value, e.g. --call \"test_2 1 2\"", fs.Arg(0))
	}
	if c.interval <= 0 {
		return c, fmt.Errorf("--interval %v: give a positive duration such as 2s", c.interval)
	}
	if c.once && len(c.calls) > 0 {
		return c, fmt.Errorf("--once and --call exclude each other: pick one")
	}
	for _, cl := range c.calls {
		if strings.TrimSpace(cl) == "" {
			return c, fmt.Errorf("--call needs \"<member> <args>\", e.g. --call \"test_2 1 2\"")
		}
	}
	return c, nil
}

// Main is the command line of a generated loader: args are the arguments
// after the program name. It returns the exit status: 0 on success and a
// clean detach, 1 on a failure, 2 on a usage error.
//
//	(default)        load, attach, write "Hello from userspace!" (or, for a
//	                 spec other than the tutorial's, each of ops.DemoCalls) to
//	                 /proc/<module>_trigger and print what reading it returns,
//	                 repeat with "Periodic trigger" (the DemoCalls) every
//	                 --interval until SIGINT/SIGTERM, then detach. A vmlinux
//	                 type (no module) has no trigger: attach and wait for
//	                 the signal.
//	--once           attach, trigger once, print, detach
//	--call "m a b"   attach, write the line to the trigger, print the value
//	                 the module reports for callback m, detach

//	--stats          also print "<member> <calls>" per callback (summed
//	                 over CPUs, Ops.Counts) after the calls and after every
//	                 periodic round; a usage error without Ops.Counts
//	--pin DIR        Options.PinDir: pin the maps under DIR (a bpffs)
//
// A sched_ext scheduler (Ops.SchedExt) is run instead (bpf.RunSchedExt):
// attach, wait until /sys/kernel/sched_ext/state reads "enabled", print it
// and root/ops, run for --duration (--once) or until SIGINT/SIGTERM printing
// the call counts (if any) every --interval and at the end, detach; when
// the kernel ejects the scheduler, print its exit record and fail with the
// kernel's reason.
//
// programs builds the programs (the generated Programs, which reports a
// misused sasm helper naming the callback and its Go line); its error ends
// the run before anything is loaded.
//
// The type may be defined by another module than ops.Module (any loaded
// module that registers a type of that name: bpf.Impl.Module); the
// trigger is still /proc/<ops.Module>_trigger. A trigger without a
// read-back (trigger.ErrNoReadBack) calls the callbacks but gives no
// values: each mode then reports the writes on stderr, prints no values
// and succeeds.
func Main(args []string, stdout, stderr io.Writer, ops *bpf.Ops, programs func() (map[string]asm.Instructions, error)) int {
	name := "loader"
	if ops != nil && ops.Name != "" {
		name = ops.Name
	}
	cfg, err := parseFlags(name, args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = checkFlags(cfg, ops)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if err := run(cfg, stdout, stderr, ops, programs); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, message(err))
		return 1
	}
	return 0
}

// checkFlags refuses flags the type cannot honour.
func checkFlags(cfg config, ops *bpf.Ops) error {
	if cfg.stats && ops.Counts == nil {
		return fmt.Errorf("--stats: these %s programs count no calls (Ops.Counts is nil): regenerate the stack with call counting, or drop --stats", ops.Name)
	}
	if cfg.durationSet && !ops.SchedExt() {
		return fmt.Errorf("--duration: only a sched_ext scheduler runs for a duration; %s is not one", ops.Name)
	}
	if ops.SchedExt() && len(cfg.calls) > 0 {
		return fmt.Errorf("--call: a sched_ext scheduler has no trigger: the kernel calls its callbacks; use --once or --stats")
	}
	return nil
}

// message is the text of a failure: a verifier rejection's truncated log
// points at --verifier-log.
func message(err error) string {
	var ve *bpf.VerifierError
	if errors.As(err, &ve) && err == error(ve) {
		return ve.Message("--verifier-log for all")
	}
	return err.Error()
}

func run(cfg config, stdout, stderr io.Writer, ops *bpf.Ops, programs func() (map[string]asm.Instructions, error)) (err error) {
	if !ops.HasTrigger() && len(cfg.calls) > 0 {
		what := "a vmlinux type"
		if ops.Module != "" {
			what = "defined by module " + ops.Module + ", which structops-gen did not generate"
		}
		return fmt.Errorf("--call: %s is %s: there is no trigger file to call it through", ops.Name, what)
	}
	// Catch the signals before attaching, so an early Ctrl-C still detaches.
	stop, unnotify := notifyStop()
	defer unnotify()

	var tm timings
	t0 := time.Now()
	progs, err := programs()
	if err != nil {
		return err
	}
	opts := &bpf.Options{VerifierLog: cfg.verifierLog, PinDir: cfg.pin}
	for _, a := range cfg.set {
		name, b, err := ops.ParseData(a)
		if err != nil {
			return err
		}
		if opts.Data == nil {
			opts.Data = map[string][]byte{}
		}
		opts.Data[name] = b
	}
	impl, err := loadImpl(ops, progs, opts)
	if err != nil {
		return err
	}
	tm.load = time.Since(t0)
	if i, ok := impl.(*bpf.Impl); ok {
		tm.btf, tm.coll = i.LoadTimes()
	}
	defer func() {
		if cerr := impl.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if cfg.timing {
			if i, ok := impl.(*bpf.Impl); ok {
				fmt.Fprintf(stderr, "%s: timing: kernel BTF: vmlinux %s\n", ops.Name, i.KernelBTFRead())
			}
			fmt.Fprintf(stderr, "%s: timing: load %v (kernel BTF %v, programs and maps %v), attach %v, trigger %v, detach %v, total %v\n",
				ops.Name, tm.load, tm.btf, tm.coll, tm.attach, tm.trigger, tm.detach, time.Since(t0))
		}
	}()
	if ops.SchedExt() {
		return runSchedExt(cfg, stdout, stderr, ops, impl, stop)
	}
	// printStats prints the call counts (--stats).
	printStats := func() error {
		if !cfg.stats {
			return nil
		}
		return writeCounts(stdout, impl)
	}
	t1 := time.Now()
	if err := impl.Attach(); err != nil {
		return err
	}
	tm.attach = time.Since(t1)
	trig := newTrigger(trigger.Path(ops.Module))
	if ops.HasTrigger() {
		// A module generated with --instances keeps several
		// implementations: find the slot of ours.
		if _, err = trig.FindSlot(impl.LinkID); err != nil {
			if m := impl.Module(); m != ops.Module && errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("module %s registers %s, but without the trigger of module %s: %w", m, ops.Name, ops.Module, err)
			}
			return err
		}
	}
	// another module than the spec's may define the type
	by := ""
	if m := impl.Module(); m != ops.Module {
		by = " (registered by module " + m + ")"
		if m == "" {
			by = " (registered by the kernel itself, vmlinux)"
		}
	}
	if trig.Slot >= 0 {
		fmt.Fprintf(stderr, "%s: attached in slot %d%s\n", ops.Name, trig.Slot, by)
	} else {
		fmt.Fprintf(stderr, "%s: attached%s\n", ops.Name, by)
	}
	defer func() {
		t3 := time.Now()
		derr := impl.Detach()
		tm.detach = time.Since(t3)
		if derr != nil && err == nil {
			err = derr
		} else if derr == nil {
			fmt.Fprintf(stderr, "%s: detached\n", ops.Name)
		}
	}()
	t2 := time.Now()
	defer func() { tm.trigger = time.Since(t2) }() // runs before the detach above

	if !ops.HasTrigger() {
		if cfg.once {
			return printStats()
		}
		fmt.Fprintf(stderr, "%s: no trigger (not a module structops-gen generated); press Ctrl-C to detach\n", ops.Name)
		if !cfg.stats {
			<-stop
			return nil
		}
		tick, stopTick := newTicker(cfg.interval)
		defer stopTick()
		for {
			select {
			case <-stop:
				return printStats()
			case <-tick:
				if err := printStats(); err != nil {
					return err
				}
			}
		}
	}

	// written reports lines that reached the trigger when nothing can be
	// read back; the first time it says why there are no values.
	noted := false
	written := func(lines []string, err error) {
		if !noted {
			fmt.Fprintf(stderr, "%s: %v: the callbacks run, their values are not printed\n", ops.Name, err)
			noted = true
		}
		fmt.Fprintf(stderr, "%s: wrote %s to %s\n", ops.Name, quoted(lines), trig.Path)
	}
	for _, line := range cfg.calls {
		out, err := trig.Call(line)
		if errors.Is(err, trigger.ErrNoReadBack) {
			written([]string{line}, err)
			continue
		}
		if err != nil {
			return err
		}
		member := strings.Fields(line)[0]
		v, ok := trigger.Answer(out, member)
		if !ok {
			return fmt.Errorf("--call %q: %s answered no line for %s (got %q): is %s a callback of %s?", line, trig.Path, member, strings.TrimSpace(string(out)), member, ops.Name)
		}
		fmt.Fprintln(stdout, v)
	}
	if len(cfg.calls) > 0 {
		return printStats()
	}

	// The tutorial's texts, or one call of every callback: the output is
	// what the trigger reads after the last.
	first, periodic := []string{firstMessage}, []string{periodicMessage}
	if len(ops.DemoCalls) > 0 {
		first, periodic = ops.DemoCalls, ops.DemoCalls
	}
	callAll := func(lines []string) error {
		var out []byte
		var noReadBack error
		for _, line := range lines {
			var err error
			out, err = trig.Call(line)
			if errors.Is(err, trigger.ErrNoReadBack) {
				noReadBack = err
				continue
			}
			if err != nil {
				return err
			}
		}
		if noReadBack != nil {
			written(lines, noReadBack)
			return nil
		}
		stdout.Write(out)
		return printStats()
	}
	if err := callAll(first); err != nil {
		return err
	}
	if cfg.once {
		return nil
	}
	fmt.Fprintf(stderr, "%s: triggering every %v; press Ctrl-C to detach\n", ops.Name, cfg.interval)
	tick, stopTick := newTicker(cfg.interval)
	defer stopTick()
	for {
		select {
		case <-stop:
			return nil
		case <-tick:
			if err := callAll(periodic); err != nil {
				return err
			}
		}
	}
}

// quoted lists lines as "a", "b".
func quoted(lines []string) string {
	q := make([]string, len(lines))
	for i, l := range lines {
		q[i] = fmt.Sprintf("%q", l)
	}
	return strings.Join(q, ", ")
}

// timings are the phases --timing prints.
type timings struct{ load, btf, coll, attach, trigger, detach time.Duration }

// writeCounts prints "<member> <calls>" per callback, summed over CPUs.
func writeCounts(w io.Writer, impl implementation) error {
	counts, err := impl.CallCounts()
	if err != nil {
		return err
	}
	for _, c := range counts {
		fmt.Fprintf(w, "%s %d\n", c.Member, c.Calls)
	}
	return nil
}

// runSchedExt runs a sched_ext scheduler (bpf.RunSchedExt): attach, wait
// until the kernel enables it, print "state: enabled" and "ops: <name>",
// run (--duration with --once, else until a signal) printing the call
// counts every interval if the programs keep them, detach. It fails with
// the kernel's exit reason when the kernel ejects the scheduler.
func runSchedExt(cfg config, stdout, stderr io.Writer, ops *bpf.Ops, impl implementation, stop <-chan os.Signal) error {
	o := bpf.SchedExtRunOptions{
		Name: schedName(ops), Once: cfg.once, Duration: cfg.duration, Interval: cfg.interval,
		Signals: stop, Stdout: stdout, Stderr: stderr,
	}
	if ops.Counts != nil {
		o.Stats = func(w io.Writer) error { return writeCounts(w, impl) }
	}
	return bpf.RunSchedExt(context.Background(), impl, o)
}

// schedName is the scheduler's name (the name member), or the type's.
func schedName(ops *bpf.Ops) string {
	n := ops.Data["name"]
	if i := bytes.IndexByte(n, 0); i >= 0 {
		n = n[:i]
	}
	if len(n) == 0 {
		return ops.Name
	}
	return string(n)
}
