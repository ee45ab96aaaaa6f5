// Package readme runs the README's two commands for an existing kernel
// type on the host: generate a TCP congestion control from vmlinux BTF,
// run its loader, use it, stop it.
package readme

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/structops/structops-gen/examples/internal/hosttest"
)

// moduleRoot is the directory of go.mod: the README's commands run there.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v %q", err, out)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestReadmeTCP follows "Existing kernel types: a TCP congestion control in
// Go": structops-gen --btf /sys/kernel/btf/vmlinux --ops tcp_congestion_ops
// --set name=NAME into a directory of this module, then the generated
// loader, whose default bodies call the kernel's tcp_reno_* kfuncs
// (resolved against the running kernel's BTF at load). While it runs, NAME
// is listed and a loopback connection with TCP_CONGESTION=NAME moves data
// intact with Reno's behaviour (the window grows in slow start, a lost
// segment halves it into ssthresh); SIGINT (Ctrl-C) detaches: the loader
// exits 0 and NAME is gone.
func TestReadmeTCP(t *testing.T) {
	hosttest.NeedBPF(t)
	name := fmt.Sprintf("readme%d", os.Getpid()%100000)
	root := moduleRoot(t)
	// inside the module, so the generated package builds with it; under
	// testdata, so go test ./... and go vet ./... never see it
	rel := filepath.Join("examples", "internal", "readme", "testdata", "out", name)
	out := filepath.Join(root, rel)
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })

	// the first command
	run(t, root, "go", "run", "./cmd/structops-gen", "--btf", hosttest.VmlinuxBTF, "--ops", "tcp_congestion_ops", "--set", "name="+name, "-o", rel)
	// the second, built first so that SIGINT goes to the loader itself
	// rather than to go run
	bin := filepath.Join(t.TempDir(), "loader")
	run(t, root, "go", "build", "-o", bin, "./"+filepath.ToSlash(rel)+"/tcpcongestionops/loader")

	if hosttest.Registered(t, name) {
		t.Fatalf("%s is registered before its loader runs", name)
	}
	cmd := exec.Command(bin)
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
			cmd.Process.Kill()
			<-exited
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); !hosttest.Registered(t, name); {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the loader exited before %s was registered: %v\n%s", name, err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not in %s 60s after the loader started:\n%s", name, hosttest.Available, stderr.String())
		}
	}

	ns := hosttest.NewTCPNetns(t)
	var drop *hosttest.Dropper
	l := hosttest.Dial(t, name, ns, func(port int) { drop = ns.NewDropper(t, port) })
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
		name, before.Snd_cwnd, grown.Snd_cwnd, lost.Snd_ssthresh, lost.Snd_cwnd)
	l.Client.Close()
	l.Server.Close()

	// Ctrl-C
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("the loader exited with %v after SIGINT, want 0:\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the loader still runs 60s after SIGINT:\n%s", stderr.String())
	}
	// the loader detached before it exited; the wait only covers another
	// process (a test listing links) holding the link a moment longer
	hosttest.WaitRegistered(t, name, false)
	t.Logf("loader output:\n%s%s", stdout.String(), stderr.String())
}
