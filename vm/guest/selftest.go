package guest

import (
	"flag"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// Selftest is a tiny guest command for testing the runner: it prints
// -print to stdout, -stderr to stderr, writes -kmsg to the kernel log and
// -trace to the trace buffer (trace_marker), prints the file -cat, then
// sleeps -sleep, then kills itself with SIGKILL (-kill) or exits with -exit.
func Selftest(stdout, stderr io.Writer, args []string) int {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	msg := fs.String("print", "selftest: hello from the guest", "line printed to stdout")
	errMsg := fs.String("stderr", "", "line printed to stderr")
	kmsg := fs.String("kmsg", "", "line written to /dev/kmsg")
	trace := fs.String("trace", "", "line written to /sys/kernel/tracing/trace_marker")
	cat := fs.String("cat", "", "file whose contents are printed to stdout")
	kill := fs.Bool("kill", false, "kill itself with SIGKILL instead of exiting")
	sleep := fs.Duration("sleep", 0, "sleep this long before exiting (to test timeouts)")
	exit := fs.Int("exit", 0, "exit status")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintln(stdout, *msg)
	if *errMsg != "" {
		fmt.Fprintln(stderr, *errMsg)
	}
	for path, line := range map[string]string{"/dev/kmsg": *kmsg, "/sys/kernel/tracing/trace_marker": *trace} {
		if line == "" {
			continue
		}
		if err := os.WriteFile(path, []byte(line+"\n"), 0); err != nil {
			fmt.Fprintf(stderr, "selftest: %v\n", err)
			return 1
		}
	}
	if *cat != "" {
		data, err := os.ReadFile(*cat)
		if err != nil {
			fmt.Fprintf(stderr, "selftest: %v\n", err)
			return 1
		}
		stdout.Write(data)
	}
	time.Sleep(*sleep)
	if *kill {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	return *exit
}
