package bpf

import (
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
)

// config is the parsed command line of a loader.
type config struct {
	interval    time.Duration
	once        bool
	calls       []string
	verifierLog bool
	timing      bool
}

// implementation is what Main drives: *Impl, or a fake in tests.
type implementation interface {
	Attach() error
	Detach() error
	Close() error
	LinkID() (uint32, error)
}

// The kernel-facing parts of Main, replaced by fakes in tests.
var (
	loadImpl = func(ops *Ops, progs map[string]asm.Instructions, opts *Options) (implementation, error) {
		return Load(ops, progs, opts)
	}
	writeTrigger = func(path string, b []byte) error { return os.WriteFile(path, b, 0) }
	readTrigger  = os.ReadFile
	notifyStop   = func() (<-chan os.Signal, func()) {
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

// TriggerPath is the proc file through which a module calls the callbacks.
func TriggerPath(module string) string { return "/proc/" + module + "_trigger" }

func parseFlags(name string, args []string, stderr io.Writer) (config, error) {
	var c config
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [--once | --call \"<member> <args>\"] [--interval 2s] [--verifier-log]\n\n"+
			"Loads and attaches the BPF implementation of struct %s. By default it triggers the\n"+
			"callbacks through the module's proc file, then again every interval, until SIGINT or\n"+
			"SIGTERM, then detaches.\n\n", name, name)
		fs.PrintDefaults()
	}
	fs.DurationVar(&c.interval, "interval", 2*time.Second, "time between periodic triggers")
	fs.BoolVar(&c.once, "once", false, "attach, trigger once, print the result, detach")
	fs.StringArrayVar(&c.calls, "call", nil, "attach, call a callback (\"<member> <arg> ...\"), print its return value, detach; repeatable: one value per line, in order")
	fs.BoolVar(&c.verifierLog, "verifier-log", false, "show the whole verifier log when a program is rejected")
	fs.BoolVar(&c.timing, "timing", false, "print how long loading, attaching, triggering and detaching took (stderr)")
	_ = fs.MarkHidden("timing") // for benchmarks (BENCHMARKS.md)
	if err := fs.Parse(args); err != nil {
		return c, err
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
func Main(args []string, stdout, stderr io.Writer, ops *Ops, progs func() map[string]asm.Instructions) int {
	name := "loader"
	if ops != nil && ops.Name != "" {
		name = ops.Name
	}
	cfg, err := parseFlags(name, args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if err := run(cfg, stdout, stderr, ops, progs); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

func run(cfg config, stdout, stderr io.Writer, ops *Ops, progs func() map[string]asm.Instructions) (err error) {
	if !ops.hasTrigger() && len(cfg.calls) > 0 {
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
	impl, err := loadImpl(ops, progs(), &Options{VerifierLog: cfg.verifierLog})
	if err != nil {
		return err
	}
	tm.load = time.Since(t0)
	if i, ok := impl.(*Impl); ok {
		tm.btf, tm.coll = i.btfTime, i.collTime
	}
	defer func() {
		if cerr := impl.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if cfg.timing {
			fmt.Fprintf(stderr, "%s: timing: load %v (kernel BTF %v, programs and maps %v), attach %v, trigger %v, detach %v, total %v\n",
				ops.Name, tm.load, tm.btf, tm.coll, tm.attach, tm.trigger, tm.detach, time.Since(t0))
		}
	}()
	t1 := time.Now()
	if err := impl.Attach(); err != nil {
		return err
	}
	tm.attach = time.Since(t1)
	trigger := TriggerPath(ops.Module)
	slot := -1
	if ops.hasTrigger() {
		// A module generated with --instances keeps several
		// implementations: find the slot of ours.
		if slot, err = findSlot(impl, trigger); err != nil {
			return err
		}
	}
	if slot >= 0 {
		fmt.Fprintf(stderr, "%s: attached in slot %d\n", ops.Name, slot)
	} else {
		fmt.Fprintf(stderr, "%s: attached\n", ops.Name)
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

	if !ops.hasTrigger() {
		if cfg.once {
			return nil
		}
		fmt.Fprintf(stderr, "%s: no trigger (not a module structops-gen generated); press Ctrl-C to detach\n", ops.Name)
		<-stop
		return nil
	}

	// callSlot calls our implementation and keeps the lines of its slot.
	callSlot := func(line string) ([]byte, error) {
		if slot >= 0 {
			line = fmt.Sprintf("@%d %s", slot, line)
		}
		out, err := call(trigger, line)
		return slotLines(out, slot), err
	}
	for _, line := range cfg.calls {
		out, err := callSlot(line)
		if err != nil {
			return err
		}
		member := strings.Fields(line)[0]
		v, ok := answer(out, member)
		if !ok {
			return fmt.Errorf("--call %q: %s answered no line for %s (got %q): is %s a callback of %s?", line, trigger, member, strings.TrimSpace(string(out)), member, ops.Name)
		}
		fmt.Fprintln(stdout, v)
	}
	if len(cfg.calls) > 0 {
		return nil
	}

	// The tutorial's texts, or one call of every callback: the output is
	// what the trigger reads after the last.
	first, periodic := []string{firstMessage}, []string{periodicMessage}
	if len(ops.DemoCalls) > 0 {
		first, periodic = ops.DemoCalls, ops.DemoCalls
	}
	callAll := func(lines []string) ([]byte, error) {
		var out []byte
		for _, line := range lines {
			var err error
			if out, err = callSlot(line); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	out, err := callAll(first)
	if err != nil {
		return err
	}
	stdout.Write(out)
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
			out, err := callAll(periodic)
			if err != nil {
				return err
			}
			stdout.Write(out)
		}
	}
}

// timings are the phases --timing prints.
type timings struct{ load, btf, coll, attach, trigger, detach time.Duration }

// call writes line to the trigger and returns what reading it gives back.
func call(trigger, line string) ([]byte, error) {
	if err := writeTrigger(trigger, []byte(line)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("write %s: %w: is the module loaded?", trigger, err)
		}
		return nil, fmt.Errorf("write %q to %s: %w", line, trigger, err)
	}
	out, err := readTrigger(trigger)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", trigger, err)
	}
	return out, nil
}

// findSlot reads the trigger of a module generated with --instances, which
// lists the attached implementations as "@K: link <id>" lines, and returns
// the slot K of impl's link; -1 when the module has no slots.
func findSlot(impl implementation, trigger string) (int, error) {
	out, err := readTrigger(trigger)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return -1, fmt.Errorf("read %s: %w: is the module loaded?", trigger, err)
		}
		return -1, fmt.Errorf("read %s: %w", trigger, err)
	}
	slotted := false
	var id uint32
	for _, ln := range strings.Split(string(out), "\n") {
		var k int
		var lid uint32
		if n, _ := fmt.Sscanf(ln, "@%d: link %d", &k, &lid); n != 2 {
			continue
		}
		if !slotted {
			slotted = true
			if id, err = impl.LinkID(); err != nil {
				return -1, fmt.Errorf("find the slot of the implementation: %w", err)
			}
		}
		if lid == id {
			return k, nil
		}
	}
	if slotted {
		return -1, fmt.Errorf("%s lists no slot for link %d, and the implementation is attached: is another module of the same name loaded?", trigger, id)
	}
	return -1, nil
}

// slotLines keeps the lines of the trigger's output that belong to slot k,
// without their "@K " prefix (slot 0's lines have none) and without the
// "@K: link" lines; k < 0 (no slots) keeps everything.
func slotLines(out []byte, k int) []byte {
	if out == nil || k < 0 {
		return out
	}
	prefix := fmt.Sprintf("@%d ", k)
	var b strings.Builder
	for _, ln := range strings.SplitAfter(string(out), "\n") {
		switch {
		case ln == "":
		case k == 0 && !strings.HasPrefix(ln, "@"):
			b.WriteString(ln)
		case k > 0 && strings.HasPrefix(ln, prefix):
			b.WriteString(ln[len(prefix):])
		}
	}
	return []byte(b.String())
}

// answer finds the value in the line "<member> <value>" of the trigger's
// output.
func answer(out []byte, member string) (string, bool) {
	for _, ln := range strings.Split(string(out), "\n") {
		f := strings.Fields(ln)
		if len(f) >= 2 && f[0] == member {
			return strings.Join(f[1:], " "), true
		}
	}
	return "", false
}
