package bpf

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// The kernel reads link_update as four u32: link_fd, new_map_fd, flags,
// old_map_fd.
func TestLinkUpdateAttrLayout(t *testing.T) {
	var a linkUpdateAttr
	if unsafe.Sizeof(a) != 16 || unsafe.Offsetof(a.newMapFD) != 4 || unsafe.Offsetof(a.flags) != 8 || unsafe.Offsetof(a.oldMapFD) != 12 {
		t.Fatalf("linkUpdateAttr layout: size %d, offsets %d %d %d", unsafe.Sizeof(a), unsafe.Offsetof(a.newMapFD), unsafe.Offsetof(a.flags), unsafe.Offsetof(a.oldMapFD))
	}
}

// Update refuses what the kernel would refuse less clearly, without a
// syscall.
func TestUpdatePreconditions(t *testing.T) {
	ops := &Ops{Name: "bpf_testmod_ops", Module: "bpf_testmod"}
	loaded := func(o *Ops) *Impl { return &Impl{ops: o, coll: &ebpf.Collection{}} }
	for _, c := range []struct {
		name     string
		cur, nxt *Impl
		want     string
	}{
		{"next nil", loaded(ops), nil, "update bpf_testmod_ops: the new implementation is not loaded"},
		{"next closed", loaded(ops), &Impl{ops: ops}, "the new implementation is not loaded"},
		{"closed", &Impl{ops: ops}, loaded(ops), "update bpf_testmod_ops: the implementation is closed: load it again"},
		{"detached", loaded(ops), loaded(ops), "update bpf_testmod_ops: not attached: Attach it first"},
	} {
		err := c.cur.Update(c.nxt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Update: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestUpdateError(t *testing.T) {
	for errno, want := range map[unix.Errno]string{
		unix.EOPNOTSUPP: "has no update callback",
		unix.ENOLINK:    "the link was detached",
		unix.EPERM:      "no longer holds this implementation's map",
		unix.E2BIG:      "BPF_LINK_UPDATE",
	} {
		err := updateError("x_ops", errno)
		if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "update x_ops: ") {
			t.Errorf("updateError(%v) = %v, want %q", errno, err, want)
		}
	}
}
