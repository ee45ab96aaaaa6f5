package bpf

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The BPF_LINK_UPDATE command and its flag (include/uapi/linux/bpf.h).
const (
	cmdLinkUpdate = 29 // BPF_LINK_UPDATE
	flagReplace   = 4  // BPF_F_REPLACE: fail unless old_map_fd is attached
)

// linkUpdateAttr is the link_update member of union bpf_attr for a
// struct_ops link: new_map_fd shares new_prog_fd's place, old_map_fd
// old_prog_fd's.
type linkUpdateAttr struct {
	linkFD   uint32
	newMapFD uint32
	flags    uint32
	oldMapFD uint32
}

// fdLink is what cilium/ebpf's struct_ops link (a RawLink) offers beyond
// link.Link.
type fdLink interface{ FD() int }

// Update swaps the attached implementation i for next without detaching:
// BPF_LINK_UPDATE replaces i's struct_ops map on i's link with next's
// (cilium/ebpf's struct_ops link does not implement Update). The kernel
// calls the type's update callback, which publishes next with one
// rcu_assign_pointer: a caller runs either i's or next's callbacks, never a
// mix, and there is no moment without an implementation. BPF_F_REPLACE
// makes the kernel check that i's map is the one attached.
//
// On success the link belongs to next: next is attached and i is loaded
// but detached, so next.Update(i) swaps back, and closing i does not
// detach next. next must be loaded from the same struct_ops type and not
// attached, and share i's declared maps (load it with Options.MapsFrom set
// to i). On failure nothing changes.
func (i *Impl) Update(next *Impl) error {
	name := i.ops.Name
	switch {
	case next == nil || next.coll == nil:
		return fmt.Errorf("update %s: the new implementation is not loaded", name)
	case i.coll == nil:
		return fmt.Errorf("update %s: the implementation is closed: load it again", name)
	case i.link == nil:
		return fmt.Errorf("update %s: not attached: Attach it first", name)
	case next == i:
		return nil
	case next.link != nil:
		return fmt.Errorf("update %s: the new implementation is attached itself: detach it first", name)
	case next.ops.Name != name:
		return fmt.Errorf("update %s: the new implementation is of struct_ops type %s", name, next.ops.Name)
	}
	if err := checkSharedMaps(i, next); err != nil { // maps.go
		return err
	}
	fl, ok := i.link.(fdLink)
	if !ok {
		return fmt.Errorf("update %s: the struct_ops link has no file descriptor (%T)", name, i.link)
	}
	oldMap, newMap := i.coll.Maps[name], next.coll.Maps[name]
	attr := linkUpdateAttr{
		linkFD:   uint32(fl.FD()),
		newMapFD: uint32(newMap.FD()),
		flags:    flagReplace,
		oldMapFD: uint32(oldMap.FD()),
	}
	_, _, errno := unix.Syscall(unix.SYS_BPF, cmdLinkUpdate, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	// the fds must stay open until the syscall returned
	runtime.KeepAlive(i.link)
	runtime.KeepAlive(oldMap)
	runtime.KeepAlive(newMap)
	if errno != 0 {
		return updateError(name, errno)
	}
	next.link, i.link = i.link, nil
	return nil
}

// updateError explains the errnos of BPF_LINK_UPDATE on a struct_ops link
// (kernel/bpf/bpf_struct_ops.c: bpf_struct_ops_map_link_update).
func updateError(name string, errno unix.Errno) error {
	var why string
	switch {
	case errors.Is(errno, unix.EOPNOTSUPP):
		why = "the struct_ops type has no update callback: regenerate its module"
	case errors.Is(errno, unix.EPERM):
		why = "the link no longer holds this implementation's map, or permission denied (run as root or with CAP_BPF and CAP_SYS_ADMIN)"
	case errors.Is(errno, unix.ENOLINK):
		why = "the link was detached"
	case errors.Is(errno, unix.EINVAL):
		why = "the new map is not a loaded BPF_F_LINK struct_ops map of the same type, or the kernel is older than 6.4"
	case errors.Is(errno, unix.ENOENT):
		why = "the module's update callback found another implementation attached"
	default:
		return fmt.Errorf("update %s: BPF_LINK_UPDATE: %w", name, errno)
	}
	return fmt.Errorf("update %s: %s: %w", name, why, errno)
}
