package bpf

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// The data a generated loader hands the kernel (Ops.Data merged with
// Options.Data) is checked as the generator checks --set, so what the
// kernel's init_member would refuse with a bare EINVAL is refused first,
// naming the member and the fix (no kernel needed).

// tcpLayout is tcp_congestion_ops as structops-gen generates it from a 6.18
// vmlinux (examples/tcpreno/tcpcongestionops/ops.go).
func tcpLayout(data map[string][]byte) *Ops {
	return &Ops{Name: "tcp_congestion_ops", Size: 192, Members: []Member{
		{Name: "ssthresh", Offset: 0, Size: 8, Func: true},
		{Name: "cong_avoid", Offset: 8, Size: 8, Func: true},
		{Name: "undo_cwnd", Offset: 64, Size: 8, Func: true},
		{Name: "name", Offset: 88, Size: 16},
		{Name: "owner", Offset: 104, Size: 8},
		{Name: "list", Offset: 112, Size: 16},
		{Name: "key", Offset: 128, Size: 4},
		{Name: "flags", Offset: 132, Size: 4},
	}, Data: data}
}

var tcpProgs = map[string]asm.Instructions{
	"ssthresh":   {asm.Mov.Imm(asm.R0, 2), asm.Return()},
	"cong_avoid": {asm.Mov.Imm(asm.R0, 0), asm.Return()},
	"undo_cwnd":  {asm.Mov.Imm(asm.R0, 2), asm.Return()},
}

func TestKernelData(t *testing.T) {
	name := map[string][]byte{"name": []byte("cc")}
	for _, c := range []struct {
		what     string
		defaults map[string][]byte // Ops.Data
		opts     map[string][]byte // Options.Data
		want     []string          // substrings; none: accepted
	}{
		{what: "a name", defaults: name},
		{what: "a name with its NUL and padding", opts: map[string][]byte{"name": []byte("cc\x00\x00")}},
		{what: "15 characters", opts: map[string][]byte{"name": []byte(strings.Repeat("a", 15))}},
		{what: "every TCP_CONG_* bit", defaults: name, opts: map[string][]byte{"flags": {0x1f, 0, 0, 0}}},
		{what: "flags of one byte", defaults: name, opts: map[string][]byte{"flags": {0x3}}},
		{what: "kernel-owned owner", defaults: name, opts: map[string][]byte{"owner": {1}},
			want: []string{"data for tcp_congestion_ops.owner: the kernel owns this member and it must stay zero", `remove "owner" from Ops.Data and Options.Data`, "settable: flags, name"}},
		{what: "kernel-owned key, even zero", defaults: map[string][]byte{"name": []byte("cc"), "key": {0, 0, 0, 0}},
			want: []string{"data for tcp_congestion_ops.key: the kernel owns this member"}},
		{what: "no room for the NUL", opts: map[string][]byte{"name": []byte(strings.Repeat("a", 16))},
			want: []string{"data for tcp_congestion_ops.name: 16 bytes do not fit char name[16] with its NUL: at most 15 characters"}},
		{what: "too long", opts: map[string][]byte{"name": []byte(strings.Repeat("a", 17))},
			want: []string{"data for tcp_congestion_ops.name: 17 bytes do not fit the 16-byte member"}},
		{what: "bytes after the NUL", opts: map[string][]byte{"name": []byte("cc\x00x")},
			want: []string{"data for tcp_congestion_ops.name: has bytes after its NUL at byte 2"}},
		{what: "a bad character", opts: map[string][]byte{"name": []byte("my cc")},
			want: []string{`data for tcp_congestion_ops.name: character ' ' is not allowed: use letters, digits, '_' and '.'`}},
		{what: "an empty name", opts: map[string][]byte{"name": {}},
			want: []string{"data for tcp_congestion_ops.name: must not be empty"}},
		{what: "only NULs", opts: map[string][]byte{"name": {0, 0}},
			want: []string{"data for tcp_congestion_ops.name: must not be empty"}},
		{what: "no name", want: []string{"data for tcp_congestion_ops.name: missing, and the kernel requires it", `set Options.Data["name"]`, "--set name=VALUE"}},
		{what: "unknown flag bits", defaults: name, opts: map[string][]byte{"flags": {0x21, 0, 0, 0}},
			want: []string{"data for tcp_congestion_ops.flags: bits 0x20 are not allowed (allowed: 0x1f: TCP_CONG_NON_RESTRICTED 0x1", "TCP_CONG_NEEDS_ACCECN 0x4 (6.18+)"}},
		{what: "unknown flag bits in a high byte", defaults: name, opts: map[string][]byte{"flags": {0, 0, 0, 0x80}},
			want: []string{"bits 0x80000000 are not allowed"}},
		{what: "Options.Data overrides a bad default", defaults: map[string][]byte{"name": []byte("a b")}, opts: name},
	} {
		t.Run(c.what, func(t *testing.T) {
			_, err := Spec(tcpLayout(c.defaults), tcpProgs, &Options{Data: c.opts})
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want an error saying %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\nwant it to say %q", err, w)
				}
			}
		})
	}

	// the rules are those of the kernel's own type: a module's type of the
	// same name, or a type without rules, gets only the size check
	ops := tcpLayout(map[string][]byte{"owner": {1}})
	ops.Module = "some_module"
	if _, err := Spec(ops, tcpProgs, nil); err != nil {
		t.Errorf("module type: %v", err)
	}
	ops = tcpLayout(map[string][]byte{"owner": {1}, "name": []byte("a b")})
	ops.Name = "other_ops"
	if _, err := Spec(ops, map[string]asm.Instructions{"ssthresh": tcpProgs["ssthresh"]}, nil); err != nil {
		t.Errorf("type without rules: %v", err)
	}
	// bpf_dummy_ops: the kernel copies no data member
	dummy := &Ops{Name: "bpf_dummy_ops", Size: 16, Members: []Member{
		{Name: "test_1", Offset: 0, Size: 8, Func: true},
		{Name: "x", Offset: 8, Size: 4},
	}}
	_, err := Spec(dummy, map[string]asm.Instructions{"test_1": tcpProgs["ssthresh"]}, &Options{Data: map[string][]byte{"x": {1}}})
	if err == nil || !strings.Contains(err.Error(), "data for bpf_dummy_ops.x: the kernel owns this member") || !strings.Contains(err.Error(), "settable: none") {
		t.Errorf("bpf_dummy_ops data: %v", err)
	}
}

// TestRefusedData: an EINVAL from the map update with flag bits the
// running kernel is too old for says which bits and how to clear them;
// other failures are left to the generic message.
func TestRefusedData(t *testing.T) {
	update := fmt.Errorf("map tcp_congestion_ops: update: %w", unix.EINVAL)
	flags := func(v byte) map[string][]byte {
		return map[string][]byte{"name": []byte("cc"), "flags": {v, 0, 0, 0}}
	}
	for _, c := range []struct {
		what    string
		data    map[string][]byte
		release string
		err     error
		want    string // "": not this reason
	}{
		{"AccECN on 6.12", flags(0x7), "6.12.117+deb12-amd64", update,
			"load struct_ops tcp_congestion_ops: the kernel refused flags 0x7: TCP_CONG_NEEDS_ACCECN 0x4 needs Linux 6.18; this kernel is 6.12.117+deb12-amd64: clear bits 0x4 (--set flags=0x3, or Options.Data[\"flags\"]): map tcp_congestion_ops: update: invalid argument"},
		{"all three on 6.17", flags(0x1c), "6.17.0", update,
			"TCP_CONG_NEEDS_ACCECN 0x4 needs Linux 6.18, TCP_CONG_ECT_1_NEGOTIATION 0x8 needs Linux 6.18, TCP_CONG_NO_FALLBACK_RFC3168 0x10 needs Linux 6.18; this kernel is 6.17.0: clear bits 0x1c (--set flags=0x0"},
		{"unknown release", flags(0x4), "", update, "this kernel's release is unknown: clear bits 0x4"},
		{"6.18 has them: another reason", flags(0x4), "6.18.44", update, ""},
		{"old bits only", flags(0x3), "6.12.1", update, ""},
		{"not EINVAL", flags(0x4), "6.12.1", fmt.Errorf("map tcp_congestion_ops: %w", unix.ENOMEM), ""},
	} {
		got := refusedData(tcpLayout(nil), c.data, c.release, c.err)
		switch {
		case c.want == "" && got != nil:
			t.Errorf("%s: %v, want no explanation", c.what, got)
		case c.want != "" && (got == nil || !strings.Contains(got.Error(), c.want)):
			t.Errorf("%s: %v\nwant it to say %q", c.what, got, c.want)
		case got != nil && !errors.Is(got, unix.EINVAL):
			t.Errorf("%s: %v does not wrap EINVAL", c.what, got)
		}
	}
	// through loadError, the way Load reports it
	release := kernelRelease
	defer func() { kernelRelease = release }()
	kernelRelease = func() (string, error) { return "6.12.117+deb12-amd64", nil }
	incapable := bpfIncapable
	defer func() { bpfIncapable = incapable }()
	bpfIncapable = func() bool { return false }
	err := loadError(tcpLayout(map[string][]byte{"name": []byte("cc")}), nil, &Options{Data: map[string][]byte{"flags": {4, 0, 0, 0}}}, update)
	if err == nil || !strings.Contains(err.Error(), "the kernel refused flags 0x4: TCP_CONG_NEEDS_ACCECN 0x4 needs Linux 6.18") {
		t.Errorf("loadError: %v", err)
	}
}
