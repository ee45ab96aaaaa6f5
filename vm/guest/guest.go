// Package guest is the /init (PID 1) of the structops-vm test VM.
//
// The host (package vm) packs this init, the modules to load and a Config
// (ConfigPath, JSON) into an initramfs. As PID 1, Main mounts proc, sysfs,
// devtmpfs, tracefs and debugfs, loads the modules in order with
// finit_module(2) and checks that each one registered BTF, runs
// Config.Command, streams its output, the kernel log ("kmsg: " lines) and
// the trace_pipe ("trace: " lines, bpf_printk output) to the console, then
// prints the Marker line with the command's exit status and powers off.
//
// The guest watchdog is the kernel command line parameter
// "structops_vm.timeout=<duration>": past it, the command is killed, the
// marker says "timeout" and the VM powers off.
//
// Do not import github.com/cilium/ebpf/rlimit here (nor in anything linked
// into the init binary): its init() makes a bpf syscall before Main has
// mounted /proc, and cilium/ebpf then caches a failed mountinfo read.
package guest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ConfigPath is where the host puts the Config in the initramfs.
const ConfigPath = "/etc/structops-vm/config.json"

// Marker starts the last line the init prints. It is followed by the
// command's exit status (a number; 128+N if it was killed by signal N),
// "timeout: ..." if the guest watchdog fired, or "init-error: ..." if the
// init itself failed (mount, module load, missing module BTF).
const Marker = "STRUCTOPS-VM-EXIT: "

// TimeoutParam is the kernel command line parameter of the guest watchdog.
const TimeoutParam = "structops_vm.timeout"

// Config is what the host asks the init to do.
type Config struct {
	// Modules are loaded in order before Command runs.
	Modules []Module `json:"modules,omitempty"`
	// Command is the argv of the guest command; it runs in / with
	// PATH=/bin:/sbin:/usr/bin:/usr/sbin. Empty: just load the modules.
	Command []string `json:"command,omitempty"`
	// NoTrace leaves /sys/kernel/tracing/trace_pipe alone (reading it
	// consumes the events), for commands that read it themselves.
	NoTrace bool `json:"no_trace,omitempty"`
}

// Module is one kernel module in the initramfs.
type Module struct {
	Path string `json:"path"` // e.g. /modules/hello.ko
	Name string `json:"name"` // module name, e.g. hello (for /sys/kernel/btf/<name>)
}

type initError struct{ error }

var start = time.Now()

// Main runs the init and powers the machine off; it never returns.
func Main() {
	con := &console{fd: 1}
	status := "init-error: init did not finish"
	defer func() {
		if r := recover(); r != nil {
			status = fmt.Sprintf("init-error: panic: %v", r)
		}
		con.finish(status)
	}()
	st, err := run(con)
	switch {
	case err != nil:
		status = "init-error: " + strings.ReplaceAll(err.Error(), "\n", " | ")
	default:
		status = strconv.Itoa(st)
	}
}

func run(con *console) (int, error) {
	if err := mountAll(con); err != nil {
		return 0, err
	}
	if err := reopenConsole(); err != nil {
		con.logf("cannot open /dev/console: %v", err)
	}
	var uname unix.Utsname
	_ = unix.Uname(&uname)
	con.logf("init started (kernel %s, uptime %s)", unix.ByteSliceToString(uname.Release[:]), uptime())

	data, err := os.ReadFile(ConfigPath)
	if err != nil {
		return 0, fmt.Errorf("read config: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return 0, fmt.Errorf("parse %s: %w", ConfigPath, err)
	}

	logs := newLogPump(con, !cfg.NoTrace)
	defer logs.stop()
	quietConsole(con)

	var cmd *exec.Cmd
	var cmdMu sync.Mutex
	if d := watchdogTimeout(); d > 0 {
		time.AfterFunc(d, func() {
			cmdMu.Lock()
			if cmd != nil && cmd.Process != nil {
				cmd.Process.Kill()
			}
			cmdMu.Unlock()
			logs.drain()
			con.finish(fmt.Sprintf("timeout: guest watchdog fired after %s (%s=%s)", d, TimeoutParam, d))
		})
	}

	for _, m := range cfg.Modules {
		if err := loadModule(con, logs, m); err != nil {
			return 0, err
		}
	}
	if len(cfg.Command) == 0 {
		return 0, nil
	}

	cmdMu.Lock()
	cmd = exec.Command(cfg.Command[0], cfg.Command[1:]...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/", "TERM=dumb"}
	out := &lineWriter{con: con}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	con.logf("running %q", cfg.Command)
	err = cmd.Start()
	cmdMu.Unlock()
	if err != nil {
		con.logf("cannot run %s: %v", cfg.Command[0], err)
		return 127, nil
	}
	err = cmd.Wait()
	out.flush()
	logs.drain()
	st := exitStatus(cmd.ProcessState, err)
	con.logf("%s exited with status %d", cfg.Command[0], st)
	return st, nil
}

// exitStatus is the shell's view of a finished command: its exit code, or
// 128+N if signal N killed it.
func exitStatus(ps *os.ProcessState, err error) int {
	if ps == nil {
		return 127
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if c := ps.ExitCode(); c >= 0 {
		return c
	}
	if err != nil {
		return 1
	}
	return 0
}

func mountAll(con *console) error {
	mounts := []struct {
		fstype, dir string
		required    bool
	}{
		{"proc", "/proc", true},
		{"sysfs", "/sys", true},
		{"devtmpfs", "/dev", true},
		{"tracefs", "/sys/kernel/tracing", false},
		{"debugfs", "/sys/kernel/debug", false},
	}
	for _, m := range mounts {
		_ = os.MkdirAll(m.dir, 0o755)
		err := unix.Mount(m.fstype, m.dir, m.fstype, 0, "")
		if err != nil && !errors.Is(err, unix.EBUSY) {
			if m.required {
				return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dir, err)
			}
			con.logf("warning: mount %s on %s: %v", m.fstype, m.dir, err)
		}
	}
	return nil
}

// reopenConsole makes fds 0-2 the console (the kernel may have opened none
// if the initramfs has no /dev/console).
func reopenConsole() error {
	fd, err := unix.Open("/dev/console", unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		if fd != i {
			if err := unix.Dup3(fd, i, 0); err != nil {
				return err
			}
		}
	}
	if fd > 2 {
		unix.Close(fd)
	}
	return nil
}

func loadModule(con *console, logs *logPump, m Module) error {
	t := time.Now()
	f, err := os.Open(m.Path)
	if err != nil {
		return fmt.Errorf("load module: %w", err)
	}
	err = unix.FinitModule(int(f.Fd()), "", 0)
	f.Close()
	logs.drain()
	if err != nil {
		return fmt.Errorf("finit_module %s: %w (see the kmsg lines above)", m.Path, err)
	}
	btf := filepath.Join("/sys/kernel/btf", m.Name)
	if _, err := os.Stat(btf); err != nil {
		return fmt.Errorf("module %s loaded but %s is missing: module has no BTF, struct_ops cannot register (build it against the guest kernel's vmlinux with pahole)", m.Name, btf)
	}
	con.logf("loaded module %s from %s in %s", m.Name, m.Path, time.Since(t).Round(time.Millisecond))
	return nil
}

// watchdogTimeout reads TimeoutParam from /proc/cmdline; 0 means none.
func watchdogTimeout() time.Duration {
	data, _ := os.ReadFile("/proc/cmdline")
	return parseTimeout(string(data))
}

// parseTimeout returns the last TimeoutParam of a kernel command line (so
// RunSpec.Append can override the runner's), 0 if none or invalid.
func parseTimeout(cmdline string) time.Duration {
	var d time.Duration
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, TimeoutParam+"="); ok {
			d, _ = time.ParseDuration(v)
		}
	}
	return max(d, 0)
}

func uptime() string {
	data, _ := os.ReadFile("/proc/uptime")
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0] + "s"
	}
	return "?"
}

// console serialises whole lines to the console fd.
type console struct {
	mu   sync.Mutex
	fd   int
	done bool
}

func (c *console) line(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		writeAll(c.fd, []byte(s+"\n"))
	}
}

func (c *console) logf(format string, args ...any) {
	c.line(fmt.Sprintf("init: [%7.3fs] %s", time.Since(start).Seconds(), fmt.Sprintf(format, args...)))
}

// finish prints the marker once, syncs and powers off.
func (c *console) finish(status string) {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		hang() // another goroutine is powering off
	}
	c.done = true
	writeAll(c.fd, []byte(Marker+status+"\n"))
	c.mu.Unlock()
	unix.Sync()
	if os.Getpid() != 1 {
		os.Exit(1)
	}
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	writeAll(c.fd, []byte(fmt.Sprintf("init: power off failed: %v\n", err)))
	hang()
}

// hang blocks forever (select{} could trip the runtime's deadlock check,
// and PID 1 must not exit).
func hang() {
	for {
		time.Sleep(time.Hour)
	}
}

func writeAll(fd int, b []byte) {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			if err == unix.EINTR || err == unix.EAGAIN {
				continue
			}
			return
		}
		b = b[n:]
	}
}

// lineWriter forwards complete lines to the console.
type lineWriter struct {
	mu  sync.Mutex
	con *console
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.con.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.con.line(string(w.buf))
		w.buf = nil
	}
}

// quietConsole leaves only KERN_EMERG (panics) to the kernel's own console
// output: the log pump prints every other record as a whole "kmsg: " line.
// A record the kernel printed itself (an error or warning, possibly from a
// printk thread) could land in the middle of a line of the command's output.
func quietConsole(con *console) {
	if err := os.WriteFile("/proc/sys/kernel/printk", []byte("1"), 0); err != nil {
		con.logf("warning: kernel messages may interleave with output lines: %v", err)
	}
}
