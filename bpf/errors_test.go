package bpf

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// Table tests of the kernel-error mapping: what each failure of the kernel
// looks like to the person running the loader (no kernel needed).

func TestLoadErrorMapping(t *testing.T) {
	incapable := bpfIncapable
	ops := &Ops{Name: "bpf_testmod_ops"}
	spec := &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{"test_1": {}, "test_2": {}}}
	var long []string
	for i := range 40 {
		long = append(long, fmt.Sprintf("%d: (b7) r0 = %d", i, i))
	}
	long = append(long, "R0 !read_ok")
	verr := func(name string, log []string) error {
		return fmt.Errorf("program %s: load program: %w", name, &ebpf.VerifierError{Cause: unix.EACCES, Log: log})
	}
	for _, tc := range []struct {
		name string
		err  error
		opts *Options
		want []string // substrings, in order
		not  []string
		is   error
		ve   bool
		// incapable: the process has neither CAP_BPF nor CAP_SYS_ADMIN
		incapable bool
	}{
		{name: "EPERM", err: fmt.Errorf("map bpf_testmod_ops: %w", unix.EPERM), is: unix.EPERM,
			want: []string{"load struct_ops bpf_testmod_ops: permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN"}},
		{name: "EPERM from a program", err: fmt.Errorf("program test_1: load program: %w", &ebpf.VerifierError{Cause: unix.EPERM}), is: unix.EPERM, ve: true,
			want: []string{"permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN"}},
		{name: "verifier, tail", err: verr("test_2", long), ve: true, is: unix.EACCES,
			want: []string{"the verifier rejected callback test_2 of bpf_testmod_ops", "last lines (Options.VerifierLog for all)", "\n\t26: (b7)", "\n\tR0 !read_ok"},
			not:  []string{"\t25: (b7)", "permission denied: run as root", "--verifier-log"}},
		{name: "verifier, whole log", err: verr("test_1", long), opts: &Options{VerifierLog: true}, ve: true,
			want: []string{"the verifier rejected callback test_1 of bpf_testmod_ops", "verifier log:", "\n\t0: (b7) r0 = 0", "\n\tR0 !read_ok"},
			not:  []string{"last lines"}},
		{name: "verifier, unknown program", err: fmt.Errorf("map x: %w", &ebpf.VerifierError{Cause: unix.EINVAL, Log: []string{"bad"}}), ve: true,
			want: []string{"the verifier rejected a callback of bpf_testmod_ops", "\n\tbad"}},
		{name: "other", err: fmt.Errorf("map bpf_testmod_ops: %w", unix.EINVAL), is: unix.EINVAL,
			want: []string{"load struct_ops bpf_testmod_ops: map bpf_testmod_ops: invalid argument"}},
		{name: "no capabilities, no errno", err: errors.New("map bpf_testmod_ops: struct_ops requires BTF"), incapable: true,
			want: []string{"load struct_ops bpf_testmod_ops: permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN: map bpf_testmod_ops: struct_ops requires BTF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bpfIncapable = func() bool { return tc.incapable }
			defer func() { bpfIncapable = incapable }()
			got := loadError(ops, spec, tc.opts, tc.err)
			msg := got.Error()
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("message lacks %q (in order):\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tc.not {
				if strings.Contains(msg, n) {
					t.Errorf("message has %q:\n%s", n, msg)
				}
			}
			if tc.is != nil && !errors.Is(got, tc.is) {
				t.Errorf("errors.Is(%v) = false", tc.is)
			}
			var ve *ebpf.VerifierError
			if errors.As(got, &ve) != tc.ve {
				t.Errorf("errors.As(*VerifierError) = %v, want %v", !tc.ve, tc.ve)
			}
			if !tc.ve && strings.Contains(msg, "\n") {
				t.Errorf("not one line:\n%s", msg)
			}
			// a rejection is structured: the callback, the cause and the
			// whole log, whatever the message shows
			var rej *VerifierError
			if found := errors.As(got, &rej); found != strings.HasPrefix(tc.name, "verifier") {
				t.Errorf("errors.As(*bpf.VerifierError) = %v", found)
			} else if found && (len(rej.Log) != len(long) && len(rej.Log) != 1 || rej.Ops != ops.Name || rej.Cause == nil) {
				t.Errorf("VerifierError %+v does not carry the cause and the whole log", rej)
			}
		})
	}
}

func TestAttachErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("create link: %w", unix.EEXIST),
			"attach tcp_congestion_ops: another tcp_congestion_ops implementation is attached: detach it (stop its loader) first: create link: file exists"},
		{fmt.Errorf("create link: %w", unix.EPERM),
			"attach tcp_congestion_ops: permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN: create link: operation not permitted"},
		{fmt.Errorf("create link: %w", unix.EACCES),
			"attach tcp_congestion_ops: permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN: create link: permission denied"},
		{fmt.Errorf("create link: %w", unix.EINVAL),
			"attach tcp_congestion_ops: create link: invalid argument"},
	} {
		got := attachError("tcp_congestion_ops", tc.err)
		if got.Error() != tc.want {
			t.Errorf("attachError(%v):\n got %s\nwant %s", tc.err, got, tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("attachError(%v) does not wrap it", tc.err)
		}
	}
}

func TestPermissionHint(t *testing.T) {
	for _, e := range []error{unix.EPERM, unix.EACCES} {
		if got := permissionHint(fmt.Errorf("open vmlinux: %w", e)); !strings.HasSuffix(got.Error(), "(run as root or with CAP_BPF and CAP_SYS_ADMIN)") || !errors.Is(got, e) {
			t.Errorf("permissionHint(%v) = %v", e, got)
		}
	}
	if got := permissionHint(unix.ENOENT); got != unix.ENOENT {
		t.Errorf("permissionHint(ENOENT) = %v, want it unchanged", got)
	}
}
