// Command stress hammers the checked-in default stack (module bpf_testmod,
// package bpftestmodops) inside the test VM; e2e's TestStressInVM boots it.
//
// Phase swap: -writers goroutines write "test_2 <a> <b>" to the trigger in a
// loop while the main goroutine, -cycles times, attaches implementation A
// (the default programs: test_2 returns a+b), swaps to B (test_2 returns
// a+b+1000, assembled here with sasm) and back with bpf.Impl.Update
// (BPF_LINK_UPDATE), and detaches. After every transition it waits until
// the writers made more calls, so every state sees calls; each writer makes
// at most -per-state calls per state, which keeps the kernel log (one line
// per call) small. Each call the
// module logs as "test_2(a, b) returned: v"; the kernel log is read along
// and every such line must have v == a+b or a+b+1000, every failed write
// must be ENODEV (nothing attached), and no log record may be lost.
//
// Phase faults: a second loader while A is attached exits 1 with "another
// bpf_testmod_ops implementation is attached"; delete_module while attached
// fails with EAGAIN; after detach the loader works. Then -kills times a
// child (this binary with -child) loads A and B and loops attach, update,
// update, detach; the parent SIGKILLs it at a random point shortly after it
// announced an attach or an update, and checks that nothing is left
// registered (the trigger answers ENODEV, A attaches and detaches).
//
// Finally A and B are closed and bpf_testmod must unload. The last line is
// "STRESS-RESULT: PASS ..." or "STRESS-RESULT: FAIL: ..."; the exit status
// is 0 or 1.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpftestmodops"
)

const (
	module  = "bpf_testmod"
	trigger = "/proc/bpf_testmod_trigger"
	variant = 1000 // B's test_2 returns a + b + variant
	// waitLimit bounds every wait for the kernel (asynchronous teardown,
	// writers making progress); reaching it is a failure, not a timing.
	waitLimit = 30 * time.Second
)

var (
	cycles   = flag.Int("cycles", 200, "attach, update, update, detach cycles of the swap phase")
	writers  = flag.Int("writers", 4, "goroutines writing the trigger in the swap phase")
	perState = flag.Int("per-state", 3, "calls each writer makes at most while the loader stays in one state (0: no limit)")
	kills    = flag.Int("kills", 20, "SIGKILLed children in the fault phase")
	loader   = flag.String("loader", "/bin/bpf_testmod-loader", "the generated loader, for the second-loader check")
	seed     = flag.Uint64("seed", 0, "random seed of the kill points (0: from the clock)")
	child    = flag.Bool("child", false, "internal: the process the fault phase kills")
)

func main() {
	flag.Parse()
	if *child {
		os.Exit(runChild())
	}
	t0 := time.Now()
	summary, err := run()
	if err != nil {
		fmt.Printf("STRESS-RESULT: FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("STRESS-RESULT: PASS %s, %v\n", summary, time.Since(t0).Round(time.Millisecond))
}

// programs returns A's programs (the default bodies) or B's (test_2
// returns a + b + 1000, without the printk).
func programs(b bool) (map[string]asm.Instructions, error) {
	p, err := bpftestmodops.Programs()
	if err != nil {
		return nil, err
	}
	if b {
		s := bpftestmodops.Test2Sig
		p["test_2"] = sasm.Seq(
			s.Arg(asm.R3, 0), // r3 = a
			s.Arg(asm.R4, 1), // r4 = b
			asm.Instructions{
				asm.Add.Reg(asm.R3, asm.R4),  // r3 = a + b
				asm.Add.Imm(asm.R3, variant), // r3 += 1000
			},
			s.Ret(asm.R3),
		)
	}
	return p, nil
}

func loadBoth() (a, b *bpf.Impl, err error) {
	pa, err := programs(false)
	if err != nil {
		return nil, nil, err
	}
	pb, err := programs(true)
	if err != nil {
		return nil, nil, err
	}
	if a, err = bpf.Load(bpftestmodops.Ops, pa, nil); err != nil {
		return nil, nil, fmt.Errorf("load A: %w", err)
	}
	if b, err = bpf.Load(bpftestmodops.Ops, pb, nil); err != nil {
		a.Close()
		return nil, nil, fmt.Errorf("load B: %w", err)
	}
	return a, b, nil
}

func run() (string, error) {
	rng := *seed
	if rng == 0 {
		rng = uint64(time.Now().UnixNano())
	}
	fmt.Printf("stress: seed %d, %d cycles, %d writers, %d kills\n", rng, *cycles, *writers, *kills)
	a, b, err := loadBoth()
	if err != nil {
		return "", err
	}
	defer a.Close()
	defer b.Close()

	t0 := time.Now()
	sw, err := swapPhase(a, b)
	if err != nil {
		return "", fmt.Errorf("swap phase: %w", err)
	}
	fmt.Printf("stress: swap phase: %s, %v\n", sw, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	if err := loaderChecks(a); err != nil {
		return "", fmt.Errorf("fault phase: %w", err)
	}
	killed, err := killPhase(a, rand.New(rand.NewPCG(rng, 0)))
	if err != nil {
		return "", fmt.Errorf("fault phase: %w", err)
	}
	fmt.Printf("stress: fault phase: %s, %v\n", killed, time.Since(t0).Round(time.Millisecond))

	a.Close()
	b.Close()
	tries, err := unload()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; %s; rmmod after %d EAGAIN", sw, killed, tries), nil
}

// counts of the writers' calls.
type counts struct {
	ok, enodev atomic.Int64
	other      atomic.Value // first unexpected error
}

func (c *counts) calls() int64 { return c.ok.Load() + c.enodev.Load() }

func swapPhase(a, b *bpf.Impl) (string, error) {
	kl, err := startKmsg()
	if err != nil {
		return "", err
	}
	var (
		c     counts
		stop  atomic.Bool
		epoch atomic.Int64 // the loader's transitions so far
		wg    sync.WaitGroup
	)
	for w := 0; w < *writers; w++ {
		f, err := os.OpenFile(trigger, os.O_WRONLY, 0)
		if err != nil {
			return "", err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer f.Close()
			done, last := 0, int64(-1)
			for n := 0; !stop.Load(); n++ {
				// at most perState calls in each state of the loader
				if e := epoch.Load(); e != last {
					done, last = 0, e
				} else if *perState > 0 && done >= *perState {
					time.Sleep(50 * time.Microsecond)
					continue
				}
				done++
				// the module logs each call with its arguments, so the
				// kmsg reader checks the value against these very a, b
				_, err := f.Write([]byte(fmt.Sprintf("test_2 %d %d", w+1, n*10)))
				switch {
				case err == nil:
					c.ok.Add(1)
				case errors.Is(err, unix.ENODEV):
					c.enodev.Add(1)
				default:
					c.other.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	// progress starts a new state and waits until the writers made want
	// calls in it.
	progress := func(want int64) error {
		epoch.Add(1)
		start, deadline := c.calls(), time.Now().Add(waitLimit)
		for c.calls()-start < want {
			if time.Now().After(deadline) {
				return fmt.Errorf("writers made %d calls in %v, want %d", c.calls()-start, waitLimit, want)
			}
			time.Sleep(100 * time.Microsecond)
		}
		return nil
	}
	finish := func(err error) error {
		stop.Store(true)
		wg.Wait()
		return err
	}
	var attaches, updates, detaches int
	step := int64(*writers)
	for i := 0; i < *cycles; i++ {
		if err := a.Attach(); err != nil {
			return "", finish(fmt.Errorf("cycle %d: %w", i, err))
		}
		attaches++
		if err := progress(step); err != nil {
			return "", finish(err)
		}
		if err := a.Update(b); err != nil {
			return "", finish(fmt.Errorf("cycle %d: A to B: %w", i, err))
		}
		updates++
		if err := progress(step); err != nil {
			return "", finish(err)
		}
		if err := b.Update(a); err != nil {
			return "", finish(fmt.Errorf("cycle %d: B to A: %w", i, err))
		}
		updates++
		if err := progress(step); err != nil {
			return "", finish(err)
		}
		if err := a.Detach(); err != nil {
			return "", finish(fmt.Errorf("cycle %d: %w", i, err))
		}
		detaches++
		if err := progress(step); err != nil {
			return "", finish(err)
		}
	}
	if err := finish(nil); err != nil {
		return "", err
	}
	if e := c.other.Load(); e != nil {
		return "", fmt.Errorf("a trigger write failed with neither success nor ENODEV: %v", e)
	}
	res, err := kl.stop()
	if err != nil {
		return "", err
	}
	if res.bad != "" {
		return "", fmt.Errorf("%d calls returned a value of neither implementation, e.g. %q", res.nbad, res.bad)
	}
	if res.lost > 0 {
		return "", fmt.Errorf("the kernel log overwrote %d records before they were read: cannot check every call", res.lost)
	}
	if res.a+res.b != c.ok.Load() {
		return "", fmt.Errorf("%d writes succeeded but the kernel log has %d test_2 results", c.ok.Load(), res.a+res.b)
	}
	if res.a == 0 || res.b == 0 || c.enodev.Load() == 0 {
		return "", fmt.Errorf("not every state was seen: %d calls of A, %d of B, %d ENODEV", res.a, res.b, c.enodev.Load())
	}
	return fmt.Sprintf("%d attaches, %d updates, %d detaches; %d calls: %d returned a+b (A), %d a+b+%d (B), %d ENODEV (detached)",
		attaches, updates, detaches, c.calls(), res.a, res.b, variant, c.enodev.Load()), nil
}

// kmsgLog reads the kernel log from its end on, checking the module's
// test_2 lines, until stop.
type kmsgLog struct {
	fd     int
	marker string
	done   chan kmsgResult
	quit   atomic.Bool
}

type kmsgResult struct {
	a, b, lost, nbad int64
	bad              string
	err              error
}

var resultLine = regexp.MustCompile(`test_2\((-?\d+), (-?\d+)\) returned: (-?\d+)`)

func startKmsg() (*kmsgLog, error) {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/kmsg: %w", err)
	}
	if _, err := unix.Seek(fd, 0, io.SeekEnd); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("seek /dev/kmsg: %w", err)
	}
	k := &kmsgLog{fd: fd, marker: fmt.Sprintf("stress: swap phase end %d", time.Now().UnixNano()), done: make(chan kmsgResult, 1)}
	go k.read()
	return k, nil
}

func (k *kmsgLog) read() {
	var r kmsgResult
	defer unix.Close(k.fd)
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(k.fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			time.Sleep(200 * time.Microsecond)
			continue
		case errors.Is(err, unix.EPIPE):
			r.lost++
			continue
		case err != nil:
			r.err = fmt.Errorf("read /dev/kmsg: %w", err)
			k.done <- r
			return
		}
		rec := buf[:n]
		if k.quit.Load() && bytes.Contains(rec, []byte(k.marker)) {
			k.done <- r
			return
		}
		m := resultLine.FindSubmatch(rec)
		if m == nil {
			continue
		}
		x, _ := strconv.ParseInt(string(m[1]), 10, 64)
		y, _ := strconv.ParseInt(string(m[2]), 10, 64)
		v, _ := strconv.ParseInt(string(m[3]), 10, 64)
		switch v {
		case x + y:
			r.a++
		case x + y + variant:
			r.b++
		default:
			r.nbad++
			if r.bad == "" {
				r.bad = string(m[0])
			}
		}
	}
}

// stop writes the marker to the log and returns once the reader got there.
func (k *kmsgLog) stop() (kmsgResult, error) {
	k.quit.Store(true)
	if err := os.WriteFile("/dev/kmsg", []byte(k.marker+"\n"), 0); err != nil {
		return kmsgResult{}, fmt.Errorf("write /dev/kmsg: %w", err)
	}
	select {
	case r := <-k.done:
		return r, r.err
	case <-time.After(waitLimit):
		return kmsgResult{}, fmt.Errorf("the kernel log reader did not reach its marker in %v", waitLimit)
	}
}

// loaderChecks: a second loader while A is attached, rmmod while attached,
// the loader again after detach.
func loaderChecks(a *bpf.Impl) error {
	if err := a.Attach(); err != nil {
		return err
	}
	code, stdout, stderr := runLoader("--once")
	const want = "another bpf_testmod_ops implementation is attached"
	if code != 1 || !strings.Contains(stderr, want) {
		a.Detach()
		return fmt.Errorf("second loader while attached: exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
	}
	fmt.Printf("stress: second loader refused: %s", stderr)
	err := unix.DeleteModule(module, unix.O_NONBLOCK)
	if !errors.Is(err, unix.EAGAIN) {
		a.Detach()
		return fmt.Errorf("delete_module while attached: %v, want EAGAIN", err)
	}
	if err := a.Detach(); err != nil {
		return err
	}
	code, stdout, stderr = runLoader("--once")
	if code != 0 || !strings.Contains(stdout, "test_2 30") {
		return fmt.Errorf("loader after detach: exit %d, stdout %q, stderr %q; want exit 0 and test_2 30", code, stdout, stderr)
	}
	return nil
}

func runLoader(args ...string) (int, string, string) {
	cmd := exec.Command(*loader, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return -1, "", err.Error()
	}
	return code, out.String(), errb.String()
}

// runChild loads A and B and loops attach, update, update, detach until
// killed, announcing each step on stdout just before it.
func runChild() int {
	a, b, err := loadBoth()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	step := func(what string, f func() error) {
		fmt.Println(what)
		if err := f(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
			os.Exit(1)
		}
	}
	for {
		step("attach", a.Attach)
		step("update", func() error { return a.Update(b) })
		step("update", func() error { return b.Update(a) })
		step("detach", a.Detach)
	}
}

// killPhase SIGKILLs children at random points after an "attach" or an
// "update" announcement and checks each time that nothing stays attached.
func killPhase(a *bpf.Impl, r *rand.Rand) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	var early int
	for i := 0; i < *kills; i++ {
		target := []string{"attach", "update"}[i%2]
		cmd := exec.Command(self, "-child")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.StdoutPipe()
		if err != nil {
			return "", err
		}
		if err := cmd.Start(); err != nil {
			return "", err
		}
		// kill after the nth announcement of target, 0-500 µs later
		nth, delay := 1+r.IntN(4), time.Duration(r.IntN(500))*time.Microsecond
		sc := bufio.NewScanner(out)
		seen := 0
		for seen < nth && sc.Scan() {
			if sc.Text() == target {
				seen++
			}
		}
		if seen < nth {
			cmd.Wait()
			return "", fmt.Errorf("kill %d: the child stopped before its %s #%d: %s", i, target, nth, errb.String())
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		go io.Copy(io.Discard, out)
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			return "", fmt.Errorf("kill %d: child ended with %v, not SIGKILL: %s", i, err, errb.String())
		}
		n, err := clean(a)
		if err != nil {
			return "", fmt.Errorf("kill %d (after %s #%d + %v): %w", i, target, nth, delay, err)
		}
		if n > 0 {
			early++
		}
	}
	return fmt.Sprintf("%d children SIGKILLed after attach/update, each left nothing attached (%d needed a moment to tear down)", *kills, early), nil
}

// clean waits until the trigger answers ENODEV (the killed child's link is
// gone) and checks that A can attach (no leftover registration) and
// detach. It returns how many trigger writes still found an
// implementation.
func clean(a *bpf.Impl) (int, error) {
	deadline := time.Now().Add(waitLimit)
	for n := 0; ; n++ {
		err := os.WriteFile(trigger, []byte("test_2 1 2"), 0)
		if errors.Is(err, unix.ENODEV) {
			if err := a.Attach(); err != nil {
				return n, fmt.Errorf("attach after the kill: %w", err)
			}
			return n, a.Detach()
		}
		if err != nil {
			return n, fmt.Errorf("trigger after the kill: %w", err)
		}
		if time.Now().After(deadline) {
			return n, fmt.Errorf("an implementation stayed attached %v after the kill", waitLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

// unload removes the module; the struct_ops maps of closed
// implementations hold a module reference until the kernel frees them
// after an RCU grace period, so EAGAIN is retried until waitLimit.
func unload() (int, error) {
	deadline := time.Now().Add(waitLimit)
	for n := 0; ; n++ {
		err := unix.DeleteModule(module, unix.O_NONBLOCK)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, unix.EAGAIN) || time.Now().After(deadline) {
			return n, fmt.Errorf("delete_module %s after closing everything: %w", module, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
