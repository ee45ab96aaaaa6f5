// Command scxguest runs the sched_ext checks inside the VM (TestSchedExtInVM):
// it starts the scxsimple loader in its modes, runs a workload under it and
// under the fair class, and reports one "E2E-STEP <name>: PASS|FAIL ..."
// line per check. The workload is this program again: "spin D" burns CPU
// for D and "short" exits at once; each reports whether the kernel ran it
// in the ext class (ext.enabled in /proc/self/sched).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	loader  = "/bin/scxsimple"
	opsName = "gosimple"
	// the loader of the generated default sched_ext stack (the golden
	// case schedext: structops-gen --btf <7.3 vmlinux> --ops sched_ext_ops
	// --set name=gofifo) and its scheduler's name
	genLoader = "/bin/scxgen"
	genName   = "gofifo"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scxguest check | spin DURATION | short")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "spin":
		d, err := time.ParseDuration(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		n := spin(d)
		fmt.Printf("spin iters=%d ext=%s\n", n, extEnabled())
	case "short":
		fmt.Printf("short ext=%s\n", extEnabled())
	case "check":
		os.Exit(check())
	}
}

// spin burns CPU for d and returns how many loop rounds it made.
func spin(d time.Duration) uint64 {
	end := time.Now().Add(d)
	var n, x uint64
	for {
		for i := 0; i < 1<<14; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		n++
		if time.Now().After(end) {
			break
		}
	}
	if x == 42 {
		fmt.Print("")
	}
	return n
}

// extEnabled is the value of the ext.enabled line of /proc/self/sched
// ("1": the task is in the ext class), or "missing: <first lines>".
func extEnabled() string {
	b, err := os.ReadFile("/proc/self/sched")
	if err != nil {
		return "error:" + err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "ext.enabled") {
			f := strings.Fields(l)
			return f[len(f)-1]
		}
	}
	return "missing"
}

type workResult struct {
	iters   uint64
	ext     map[string]int // ext.enabled value -> tasks
	elapsed time.Duration
}

func (w workResult) String() string {
	return fmt.Sprintf("iters=%d ext=%v in %v", w.iters, w.ext, w.elapsed.Round(time.Millisecond))
}

// workload runs spinners CPU-bound processes for d and, at the same time,
// shorts short-lived ones one after another, and collects their reports.
func workload(spinners int, d time.Duration, shorts int) (workResult, error) {
	self, _ := os.Executable()
	res := workResult{ext: map[string]int{}}
	start := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	run := func(args ...string) {
		out, err := exec.Command(self, args...).Output()
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%v: %v", args, err)
		}
		f := strings.Fields(string(out))
		for _, w := range f {
			if v, ok := strings.CutPrefix(w, "iters="); ok {
				n, _ := strconv.ParseUint(v, 10, 64)
				res.iters += n
			}
			if v, ok := strings.CutPrefix(w, "ext="); ok {
				res.ext[v]++
			}
		}
	}
	for i := 0; i < spinners; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); run("spin", d.String()) }()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < shorts; i++ {
			run("short")
		}
	}()
	wg.Wait()
	res.elapsed = time.Since(start)
	return res, firstErr
}

// proc is a loader running in the background, its output collected.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string // stdout lines
	err  strings.Builder
	done chan struct{}
	exit error
}

func start(args ...string) (*proc, error) { return startBin(loader, args...) }

func startBin(bin string, args ...string) (*proc, error) {
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.mu.Lock()
			p.out = append(p.out, s.Text())
			p.mu.Unlock()
			fmt.Printf("  loader: %s\n", s.Text())
		}
	}()
	go func() {
		defer wg.Done()
		b, _ := io.ReadAll(stderr)
		p.mu.Lock()
		p.err.Write(b)
		p.mu.Unlock()
	}()
	go func() {
		wg.Wait()
		p.exit = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitLine waits until a stdout line starts with prefix and returns it.
func (p *proc) waitLine(prefix string, timeout time.Duration) (string, bool) {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		p.mu.Lock()
		for _, l := range p.out {
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l, true
			}
		}
		p.mu.Unlock()
		select {
		case <-p.done:
			return "", false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return "", false
}

// last returns the last stdout line starting with prefix.
func (p *proc) last(prefix string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.out) - 1; i >= 0; i-- {
		if strings.HasPrefix(p.out[i], prefix) {
			return p.out[i]
		}
	}
	return ""
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimSpace(p.err.String())
}

// wait waits for the loader to exit and returns its exit code (-1: still
// running after timeout).
func (p *proc) wait(timeout time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(timeout):
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

func readFile(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return strings.TrimSpace(string(b))
}

func state() string { return readFile("/sys/kernel/sched_ext/state") }

// waitState waits until the sched_ext state reads want.
func waitState(want string, timeout time.Duration) bool {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		if state() == want {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// stats parses a "stats: local=N global=M" line into local+global.
func stats(line string) (local, global uint64) {
	for _, w := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(w, "local="); ok {
			local, _ = strconv.ParseUint(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(w, "global="); ok {
			global, _ = strconv.ParseUint(v, 10, 64)
		}
	}
	return
}

var failed bool

// stallFor finds the stall's length in the kernel's exit message
// ("rcu_preempt[15] failed to run for 1.424s", "watchdog failed to check
// in for 1.004s").
var stallFor = regexp.MustCompile(`failed to (?:run|check in) for ([0-9.]+)s`)

func step(name string, ok bool, format string, args ...any) {
	res := "PASS"
	if !ok {
		res, failed = "FAIL", true
	}
	fmt.Printf("E2E-STEP %s: %s %s\n", name, res, fmt.Sprintf(format, args...))
}

// onlyExt reports whether every task of w reported ext.enabled = want.
func onlyExt(w workResult, want string) bool { return len(w.ext) == 1 && w.ext[want] > 0 }

func check() int {
	const spinFor = 1500 * time.Millisecond
	step("fair-state", state() == "disabled", "state %q before any scheduler", state())
	fair, err := workload(2, spinFor, 20)
	step("fair-workload", err == nil && onlyExt(fair, "0"), "%v (err %v)", fair, err)

	// attach, run a workload under it, SIGINT
	p, err := start("--stats", "--interval", "300ms")
	if err != nil {
		step("attach", false, "start %s: %v", loader, err)
		return 1
	}
	line, ok := p.waitLine("state: ", 60*time.Second)
	ops := readFile("/sys/kernel/sched_ext/root/ops")
	step("attach", ok && line == "state: enabled" && state() == "enabled" && ops == opsName,
		"loader %q, state %q, root/ops %q; stderr: %s", line, state(), ops, p.stderr())
	if !ok {
		p.cmd.Process.Kill()
		return 1
	}
	p.waitLine("stats: ", 10*time.Second)
	l0, g0 := stats(p.last("stats: "))
	ext, err := workload(2, spinFor, 20)
	step("workload", err == nil && onlyExt(ext, "1"), "%v (err %v); fair %v", ext, err, fair)
	if fair.iters > 0 {
		fmt.Printf("SCX-METRIC throughput ext/fair %.3f (ext %d, fair %d iterations)\n", float64(ext.iters)/float64(fair.iters), ext.iters, fair.iters)
	}
	time.Sleep(700 * time.Millisecond) // a stats line after the workload
	l1, g1 := stats(p.last("stats: "))
	step("counters", l1+g1 > l0+g0+20 && g1 > g0, "local %d -> %d, global %d -> %d", l0, l1, g0, g1)
	p.cmd.Process.Signal(syscall.SIGINT)
	code := p.wait(30 * time.Second)
	disabled := waitState("disabled", 10*time.Second)
	after, err := workload(1, 500*time.Millisecond, 5)
	step("sigint", code == 0 && disabled && onlyExt(after, "0") && err == nil,
		"loader exit %d, state %q, root/ops %q, workload after: %v (err %v); last: %q; stderr: %s",
		code, state(), readFile("/sys/kernel/sched_ext/root/ops"), after, err, p.last("exit: "), p.stderr())

	// --once in FIFO mode
	out, err := exec.Command(loader, "--once", "--fifo", "--duration", "2s", "--stats").Output()
	so := string(out)
	step("once-fifo", err == nil && strings.Contains(so, "state: enabled\n") && strings.Contains(so, "ops: "+opsName+"\n") &&
		strings.Contains(so, "stats: local=") && waitState("disabled", 10*time.Second),
		"err %v, stdout %q", err, so)

	// SIGKILL
	p, err = start("--fifo")
	if err == nil {
		_, ok = p.waitLine("state: enabled", 60*time.Second)
		p.cmd.Process.Kill()
		p.wait(30 * time.Second)
	}
	disabled = waitState("disabled", 10*time.Second)
	after, err2 := workload(1, 500*time.Millisecond, 5)
	step("sigkill", err == nil && ok && disabled && onlyExt(after, "0") && err2 == nil,
		"enabled %v, state %q after SIGKILL, workload after: %v (err %v)", ok, state(), after, err2)

	// a scheduler whose dispatch never runs the queued tasks, under load:
	// the watchdog ejects it after timeout_ms
	load := make(chan workResult, 1)
	go func() { w, _ := workload(3, 6*time.Second, 0); load <- w }()
	time.Sleep(200 * time.Millisecond)
	t0 := time.Now()
	p, err = start("--stall", "--timeout-ms", "1000", "--once", "--duration", "60s")
	if err != nil {
		step("stall", false, "start: %v", err)
		return 1
	}
	// The loader itself may be one of the stalled tasks, so it need not
	// see the state "enabled" before the kernel ejects the scheduler: the
	// kernel log has "enabled" either way (checked on the host).
	code = p.wait(60 * time.Second)
	took := time.Since(t0)
	exitLine := p.last("exit: ")
	w := <-load
	// The kernel's message says how long the task (or the watchdog) went
	// without running: at least timeout_ms, and with the watchdog checking
	// every timeout_ms/2, not much more.
	stalled := -1.0
	if m := stallFor.FindStringSubmatch(exitLine); m != nil {
		stalled, _ = strconv.ParseFloat(m[1], 64)
	}
	step("stall", code == 1 && strings.Contains(exitLine, "SCX_EXIT_ERROR_STALL") &&
		strings.Contains(p.stderr(), "ejected") && waitState("disabled", 10*time.Second) && stalled >= 1.0 && stalled < 3.0,
		"loader exit %d %v after its start; stalled %.3fs (timeout_ms 1000); %q; saw enabled: %v; stderr: %s; load then: %v",
		code, took.Round(time.Millisecond), stalled, exitLine, p.last("state: ") != "", p.stderr(), w)

	generated()

	fin, err := workload(1, 300*time.Millisecond, 3)
	step("fair-after", state() == "disabled" && err == nil && onlyExt(fin, "0"), "state %q, %v (err %v)", state(), fin, err)
	if failed {
		return 1
	}
	return 0
}

// generated runs the generated default stack's loader with --once: it
// attaches, waits for "enabled", runs --duration while a workload runs in
// the ext class, prints the statistics, detaches and exits 0.
func generated() {
	p, err := startBin(genLoader, "--once", "--duration", "12s", "--stats")
	if err != nil {
		step("generated", false, "start %s: %v", genLoader, err)
		return
	}
	line, ok := p.waitLine("state: ", 60*time.Second)
	ops := readFile("/sys/kernel/sched_ext/root/ops")
	var w workResult
	if ok {
		w, err = workload(2, time.Second, 6)
	}
	code := p.wait(60 * time.Second)
	p.mu.Lock()
	out := strings.Join(p.out, "\n")
	p.mu.Unlock()
	// the last "<member> <calls>" line of each callback (--stats prints
	// them every interval and before detaching)
	counts := map[string]uint64{}
	for _, l := range p.out {
		if f := strings.Fields(l); len(f) == 2 {
			if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				counts[f[0]] = n
			}
		}
	}
	step("generated", ok && line == "state: enabled" && ops == genName && code == 0 && err == nil && onlyExt(w, "1") &&
		counts["select_cpu"] > 0 && counts["enqueue"] > 0 && counts["dispatch"] > 0 && counts["init"] == 1 &&
		waitState("disabled", 10*time.Second),
		"loader %q, root/ops %q, exit %d, workload %v (err %v), counts %v; stdout %q; stderr: %s",
		line, ops, code, w, err, counts, out, p.stderr())
}
