// Package readme runs the commands the documentation shows, word for
// word: every command block of README.md, and the TCP congestion control
// of docs/kernel-types.md (as root, on the host). Each command maps to a
// check here; a command the documentation shows without a check, or a
// check whose command the documentation no longer shows, fails the test,
// so neither can change without the other.
package readme

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/structops/structops-gen/examples/internal/hosttest"
)

// moduleRoot is the directory of go.mod: the commands run there.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v %q", err, out)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

var (
	fence   = regexp.MustCompile("^\\s*```")
	comment = regexp.MustCompile(`\s+#\s.*$`)
)

// commands returns the command lines of every fenced block of the
// markdown file (relative to the module root): blank lines and trailing
// "# comments" dropped, backslash continuations joined.
func commands(t *testing.T, root, file string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in, cont := false, ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		ln := sc.Text()
		if fence.MatchString(ln) {
			if in && cont != "" {
				t.Fatalf("%s:%d: the block ends in a continuation line", file, n)
			}
			in = !in
			continue
		}
		if !in {
			continue
		}
		ln = strings.TrimSpace(comment.ReplaceAllString(ln, ""))
		if strings.HasSuffix(ln, `\`) {
			cont += strings.TrimSuffix(ln, `\`) + " "
			continue
		}
		if ln = strings.TrimSpace(cont + ln); ln != "" {
			out = append(out, ln)
		}
		cont = ""
	}
	if in {
		t.Fatalf("%s: a code block is never closed", file)
	}
	return out
}

// shell runs line with sh -c in dir, as it is written, and fails the test
// with its output if it exits non-zero.
func shell(t *testing.T, dir, line string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	return string(out)
}

// readmeChecks maps each command README.md shows to what the test does
// with it.
var readmeChecks = map[string]func(t *testing.T, root, line string){
	// run word for word: out/ is the README's own (and ignored by git)
	"go run ./cmd/structops-gen -o out": func(t *testing.T, root, line string) {
		shell(t, root, line)
		for _, f := range []string{"out/module/Makefile", "out/module/bpf_testmod.c", "out/module/bpf_testmod.h",
			"out/bpftestmodops/ops.go", "out/bpftestmodops/callbacks.go", "out/bpftestmodops/loader/main.go"} {
			if _, err := os.Stat(filepath.Join(root, f)); err != nil {
				t.Errorf("after %q: %v", line, err)
			}
		}
		// what it wrote is the default stack, and its loader builds
		shell(t, root, line+" --check")
		shell(t, root, "go build -o /dev/null ./out/bpftestmodops/loader")
	},
	// make test runs the whole suite, this test included: it is not run
	// here. The check is that it is what the README says: the target CI
	// calls, running go test over every package with the VM tests on.
	"make test": func(t *testing.T, root, line string) {
		ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(strings.Split(string(ci), "\n"), line) {
			t.Errorf(".ci/run does not run %q:\n%s", line, ci)
		}
		out := shell(t, root, "make -n test")
		for _, want := range []string{"STRUCTOPS_VM=1", "go test", "./...", "make fuzz"} {
			if !strings.Contains(out, want) {
				t.Errorf("make -n test does not show %q:\n%s", want, out)
			}
		}
	},
}

// TestReadmeCommands runs (or checks) every command of README.md.
func TestReadmeCommands(t *testing.T) {
	root := moduleRoot(t)
	shown := commands(t, root, "README.md")
	for _, line := range shown {
		check, ok := readmeChecks[line]
		if !ok {
			t.Errorf("README.md shows %q, which no check in readme_test.go runs: add one to readmeChecks", line)
			continue
		}
		t.Run(line, func(t *testing.T) { check(t, root, line) })
	}
	for line := range readmeChecks {
		if !slices.Contains(shown, line) {
			t.Errorf("readme_test.go checks %q, which README.md no longer shows: drop or update the check", line)
		}
	}
}

// The TCP congestion control commands of docs/kernel-types.md.
const (
	tcpName  = "mycc"
	tcpGen   = "go run ./cmd/structops-gen --btf /sys/kernel/btf/vmlinux --ops tcp_congestion_ops --set name=" + tcpName + " -o " + tcpName
	tcpLoad  = "go run ./" + tcpName + "/tcpcongestionops/loader --stats"
	tcpDoc   = "docs/kernel-types.md"
	tcpStart = 3 * time.Minute // go run builds the loader first
)

// TestReadmeTCP runs the two commands of "A TCP congestion control in Go"
// word for word in the module root, as a shell would: structops-gen
// writes ./mycc, and the generated loader, whose default bodies call the
// kernel's tcp_reno_* kfuncs, registers "mycc". While it runs, a loopback
// connection with TCP_CONGESTION=mycc moves data intact with Reno's
// behaviour (the window grows in slow start, a lost segment halves it
// into ssthresh); SIGINT to the process group (Ctrl-C) detaches: the
// loader says so, and mycc is gone. The default bodies count their calls:
// --stats printed the counts every interval and once more after the
// SIGINT, and the last ones show the transfer (cong_avoid calls, and
// ssthresh after the loss), never falling from one round to the next.
func TestReadmeTCP(t *testing.T) {
	root := moduleRoot(t)
	var shown []string
	for _, c := range commands(t, root, tcpDoc) {
		if strings.Contains(c, "tcp_congestion_ops") || strings.Contains(c, "tcpcongestionops") {
			shown = append(shown, c)
		}
	}
	if want := []string{tcpGen, tcpLoad}; !slices.Equal(shown, want) {
		t.Fatalf("%s shows the TCP commands\n%q\nthe test runs\n%q\nupdate the one that is wrong", tcpDoc, shown, want)
	}
	hosttest.NeedBPF(t)
	out := filepath.Join(root, tcpName)
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s exists: the test writes it with %q and removes it after; move it away", out, tcpGen)
	}
	t.Cleanup(func() { os.RemoveAll(out) })
	if hosttest.Registered(t, tcpName) {
		t.Fatalf("%s is registered before its loader runs: another loader holds the name", tcpName)
	}

	shell(t, root, tcpGen)

	// exec: the shell becomes go run, whose process group gets the SIGINT
	// a terminal's Ctrl-C sends; go run passes on the loader's status
	cmd := exec.Command("sh", "-c", "exec "+tcpLoad)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	for deadline := time.Now().Add(tcpStart); !hosttest.Registered(t, tcpName); {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the loader exited before %s was registered: %v\n%s", tcpName, err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not in %s %v after %q started:\n%s", tcpName, hosttest.Available, tcpStart, tcpLoad, stderr.String())
		}
	}

	ns := hosttest.NewTCPNetns(t)
	var drop *hosttest.Dropper
	l := hosttest.Dial(t, tcpName, ns, func(port int) { drop = ns.NewDropper(t, port) })
	before := l.Info(t)
	grown := l.Send(t, 8<<20)
	if grown.Snd_cwnd <= before.Snd_cwnd {
		t.Errorf("snd_cwnd %d -> %d: tcp_reno_cong_avoid did not grow the window in slow start", before.Snd_cwnd, grown.Snd_cwnd)
	}
	drop.DropNextData(t)
	lost := l.Send(t, 8<<20)
	if want := max(grown.Snd_cwnd/2, 2); lost.Snd_ssthresh != want || lost.Total_retrans == grown.Total_retrans {
		t.Errorf("after one lost segment (%v): snd_ssthresh %d, %d retransmissions; cwnd was %d: want tcp_reno_ssthresh's max(cwnd/2, 2) = %d",
			drop.Counts(t), lost.Snd_ssthresh, lost.Total_retrans-grown.Total_retrans, grown.Snd_cwnd, want)
	}
	t.Logf("moved 16 MiB intact over %s: snd_cwnd %d -> %d, then one loss: snd_ssthresh %d, snd_cwnd %d",
		tcpName, before.Snd_cwnd, grown.Snd_cwnd, lost.Snd_ssthresh, lost.Snd_cwnd)
	l.Client.Close()
	l.Server.Close()

	// Ctrl-C
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		// go run exits 1 once it has seen an interrupt, whatever its
		// child's status; the loader says whether it detached
		var ee *exec.ExitError
		if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != 1) {
			t.Fatalf("%q exited with %v after SIGINT, want 0 or go run's 1:\n%s", tcpLoad, err, stderr.String())
		}
		if !strings.Contains(stderr.String()+stdout.String(), "tcp_congestion_ops: detached\n") {
			t.Fatalf("%q did not detach after SIGINT:\n%s%s", tcpLoad, stdout.String(), stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%q still runs 60s after SIGINT:\n%s", tcpLoad, stderr.String())
	}
	// the loader detached before it exited; the wait only covers another
	// process (a test listing links) holding the link a moment longer
	hosttest.WaitRegistered(t, tcpName, false)
	t.Logf("loader output:\n%s%s", stdout.String(), stderr.String())
	checkStats(t, stdout.String(), []string{"ssthresh", "cong_avoid", "undo_cwnd"})
}

// checkStats checks the rounds of "<member> <calls>" lines --stats printed
// (one line per member, in order, each round): at least one round, no
// count smaller than the round before, and in the last one cong_avoid and
// ssthresh called.
func checkStats(t *testing.T, out string, members []string) {
	t.Helper()
	var rounds [][]uint64
	var cur []uint64
	for _, ln := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(ln)
		if len(f) != 2 || f[0] != members[len(cur)] {
			t.Fatalf("--stats printed %q where it should print the count of %s:\n%s", ln, members[len(cur)], out)
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("--stats line %q: %v", ln, err)
		}
		if cur = append(cur, n); len(cur) == len(members) {
			rounds, cur = append(rounds, cur), nil
		}
	}
	if len(rounds) == 0 || cur != nil {
		t.Fatalf("--stats printed no whole round of %v:\n%s", members, out)
	}
	for r := 1; r < len(rounds); r++ {
		for i, m := range members {
			if rounds[r][i] < rounds[r-1][i] {
				t.Errorf("round %d: %s %d, fewer than the round before (%d)", r+1, m, rounds[r][i], rounds[r-1][i])
			}
		}
	}
	last := rounds[len(rounds)-1]
	if last[1] == 0 || last[0] == 0 {
		t.Errorf("after 16 MiB and a loss: ssthresh %d, cong_avoid %d calls; want both counted", last[0], last[1])
	}
	t.Logf("--stats: %d rounds, the last: %v %v", len(rounds), members, last)
}
