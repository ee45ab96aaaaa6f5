// Command guest runs an e2e plan inside the test VM: it reads /plan.json,
// runs each step and prints one "E2E-STEP <name>: PASS" or
// "E2E-STEP <name>: FAIL: <why>" line per step. It exits 1 if any failed.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/structops/structops-gen/e2e"
)

func main() {
	path := "/plan.json"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	plan, err := e2e.ReadPlan(path)
	if err != nil {
		fmt.Printf("E2E-STEP read-plan: FAIL: %v\n", err)
		os.Exit(1)
	}
	failed := 0
	for _, s := range plan.Steps {
		t0 := time.Now()
		if err := run(s); err != nil {
			failed++
			fmt.Printf("E2E-STEP %s: FAIL: %v\n", s.Name, err)
		} else {
			fmt.Printf("E2E-STEP %s: PASS (%v)\n", s.Name, time.Since(t0).Round(time.Millisecond))
		}
	}
	fmt.Printf("E2E-SUMMARY: %d passed, %d failed\n", len(plan.Steps)-failed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func run(s e2e.Step) error {
	switch {
	case len(s.Argv) > 0 && s.Background != "":
		return background(s)
	case len(s.Argv) > 0:
		return command(s)
	case s.Stop != "":
		return stop(s)
	case s.Write != "":
		return writeRead(s)
	case s.Stat != "":
		fi, err := os.Stat(s.Stat)
		if err != nil {
			return err
		}
		if got := fmt.Sprintf("%04o", fi.Mode().Perm()); got != s.WantMode {
			return fmt.Errorf("%s has mode %s, want %s", s.Stat, got, s.WantMode)
		}
		return nil
	case s.Rmmod != "":
		err := deleteModule(s.Rmmod, s.WantErrno == "")
		got := ""
		if err != nil {
			got = unix.ErrnoName(err.(syscall.Errno))
		}
		if got != s.WantErrno {
			return fmt.Errorf("delete_module(%s): got %q, want %q (%v)", s.Rmmod, got, s.WantErrno, err)
		}
		return nil
	case s.WaitKmsg != "":
		want := max(s.Count, 1)
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := countKmsg(s.WaitKmsg)
			if err != nil {
				return err
			}
			if n >= want {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("kernel log has %d lines with %q after 10s, want %d", n, s.WaitKmsg, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	case s.Trace != "":
		// bpf_printk lines can reach the ring buffer a little after the
		// loader exits on a slow (TCG) guest: poll for a while
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, err := os.ReadFile("/sys/kernel/tracing/trace")
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(s.Trace)) {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("trace buffer has no line with %q after 10s; it holds %d bytes:\n%s", s.Trace, len(b), tailLines(string(b), 15))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return errors.New("empty step")
}

// bg is a command a Background step left running.
type bg struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr *watchBuffer
	exited chan struct{} // closed when Wait returned err
	err    error
}

var backgrounds = map[string]*bg{}

// background starts s.Argv and returns once its stderr holds s.Ready.
func background(s e2e.Step) error {
	if backgrounds[s.Background] != nil {
		return fmt.Errorf("background %q already runs", s.Background)
	}
	b := &bg{cmd: exec.Command(s.Argv[0], s.Argv[1:]...), stderr: &watchBuffer{want: s.Ready, seen: make(chan struct{})}}
	b.cmd.Stdout, b.cmd.Stderr = &b.stdout, b.stderr
	if err := b.cmd.Start(); err != nil {
		return err
	}
	b.exited = make(chan struct{})
	go func() { b.err = b.cmd.Wait(); close(b.exited) }()
	select {
	case <-b.stderr.seen:
		backgrounds[s.Background] = b
		return nil
	case <-b.exited:
		return fmt.Errorf("exited before %q on stderr; stderr: %q", s.Ready, b.stderr.String())
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
		return fmt.Errorf("no %q on stderr within 30s; stderr: %q", s.Ready, b.stderr.String())
	}
}

// stop sends SIGTERM to the background command s.Stop and checks how it
// ended as command does.
func stop(s e2e.Step) error {
	b := backgrounds[s.Stop]
	if b == nil {
		return fmt.Errorf("no background command %q", s.Stop)
	}
	delete(backgrounds, s.Stop)
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-b.exited:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
		return fmt.Errorf("still running 30s after SIGTERM; stderr: %q", b.stderr.String())
	}
	return check(s, b.err, &b.stdout, b.stderr)
}

// writeRead writes s.Data to s.Write, then reads the file back.
func writeRead(s e2e.Step) error {
	err := os.WriteFile(s.Write, []byte(s.Data), 0)
	got := ""
	var errno syscall.Errno
	if errors.As(err, &errno) {
		got = unix.ErrnoName(errno)
	} else if err != nil {
		return err
	}
	if s.AnyResult {
		return nil
	}
	if got != s.WantErrno {
		return fmt.Errorf("write %q to %s: got %q, want %q (%v)", s.Data, s.Write, got, s.WantErrno, err)
	}
	b, err := os.ReadFile(s.Write)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	for _, w := range s.WantLines {
		if !slices.Contains(lines, w) {
			return fmt.Errorf("%s lacks the line %q after writing %q; it reads %q", s.Write, w, s.Data, b)
		}
	}
	for _, ln := range lines {
		for _, not := range s.NotLines {
			if strings.HasPrefix(ln, not) {
				return fmt.Errorf("%s has the line %q after writing %q; it reads %q", s.Write, ln, s.Data, b)
			}
		}
	}
	return nil
}

// command runs s.Argv and checks its exit status and output.
func command(s e2e.Step) error {
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	if s.Uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(s.Uid), Gid: uint32(s.Uid)}}
	}
	var stdout bytes.Buffer
	stderr := &watchBuffer{want: s.KillOn, seen: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if s.KillOn != "" {
		select {
		case <-stderr.seen:
			var werr error
			if s.While != nil {
				if werr = run(*s.While); werr != nil {
					werr = fmt.Errorf("while %s ran: %s: %w", s.Argv[0], s.While.Name, werr)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				return err
			}
			if werr != nil {
				cmd.Wait()
				return werr
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("no %q on stderr within 30s; stderr: %s", s.KillOn, stderr.String())
		}
	}
	return check(s, cmd.Wait(), &stdout, stderr)
}

// check compares how a command ended (err from Wait) and its output with
// what s wants.
func check(s e2e.Step, err error, stdout *bytes.Buffer, stderr *watchBuffer) error {
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		return err
	}
	show := func() string {
		return fmt.Sprintf("\n    stdout: %q\n    stderr: %q", stdout.String(), stderr.String())
	}
	if code != s.WantExit {
		return fmt.Errorf("exit status %d, want %d%s", code, s.WantExit, show())
	}
	if s.WantStdout != nil {
		got := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
		if !slices.Equal(got, s.WantStdout) {
			return fmt.Errorf("stdout lines %q, want %q%s", got, s.WantStdout, show())
		}
	}
	for _, w := range s.WantStderr {
		if !strings.Contains(stderr.String(), w) {
			return fmt.Errorf("stderr lacks %q%s", w, show())
		}
	}
	return nil
}

// watchBuffer collects stderr and closes seen once it contains want.
type watchBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	done bool
}

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.want != "" && !w.done && strings.Contains(w.buf.String(), w.want) {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// countKmsg counts the kernel log records containing text. It reads
// /dev/kmsg with raw non-blocking reads (one record per read): through
// os.File the runtime poller would wait for new records instead of
// returning EAGAIN at the end.
func countKmsg(text string) (int, error) {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("open /dev/kmsg: %w", err)
	}
	defer unix.Close(fd)
	n := 0
	buf := make([]byte, 8192)
	for {
		k, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return n, nil
		case errors.Is(err, unix.EPIPE): // overwritten record: go on
			continue
		case err != nil:
			return n, fmt.Errorf("read /dev/kmsg: %w", err)
		case k == 0:
			return n, nil
		}
		if bytes.Contains(buf[:k], []byte(text)) {
			n++
		}
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// deleteModule unloads a module. When the unload is expected to succeed,
// EAGAIN is retried for up to 10 s: a detached implementation's programs
// (which hold the module through its kfuncs' BTF) and struct_ops maps are
// freed by the kernel after an RCU grace period, not when the loader exits.
func deleteModule(name string, retry bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := unix.DeleteModule(name, unix.O_NONBLOCK)
		if !retry || !errors.Is(err, unix.EAGAIN) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
