package btfx

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Source is where the bytes of a Raw come from.
type Source string

// The sources of a Raw.
const (
	// SourceMmap: the sysfs file mapped (Linux 6.16 and later map
	// /sys/kernel/btf/vmlinux; no copy at all).
	SourceMmap Source = "mmap"
	// SourceObject: copied out of the kernel's BTF object by one
	// BPF_OBJ_GET_INFO_BY_FD (needs CAP_SYS_ADMIN).
	SourceObject Source = "bpf-object"
	// SourceRead: the file read (sysfs serves a binary attribute one page
	// per read, so vmlinux takes about 1,400 reads).
	SourceRead Source = "read"
	// SourceBytes: the caller's bytes (Parse).
	SourceBytes Source = "bytes"
)

// Source returns where r's bytes come from.
func (r *Raw) Source() Source { return r.source }

// OpenVmlinux opens the running kernel's vmlinux BTF, the file at path
// (/sys/kernel/btf/vmlinux), in the cheapest way the kernel offers: mapped
// where sysfs maps it (Linux 6.16 and later); else paged (paged.go): the
// types and strings a caller follows are read where they are, and the
// whole blob only when a Lookup by name needs every type, then copied in
// one BPF_OBJ_GET_INFO_BY_FD out of the kernel's vmlinux BTF object, whose
// data are the same bytes (btf_get_info_by_fd copies btf->data, which for
// vmlinux is the __BTF section sysfs serves), which needs CAP_SYS_ADMIN,
// else read. Older kernels serve the file one page per read(2) (kernfs
// caps each read of a binary attribute at PAGE_SIZE), about 1,400 system
// calls for 5.5 MB, and under emulation (qemu TCG) copying 5.5 MB alone
// takes tens of milliseconds.
func OpenVmlinux(path string) (*Raw, error) {
	return open(path, nil, true)
}

// vmlinuxObject copies the data of the kernel's vmlinux BTF object into an
// anonymous mapping (populated in the same call, so the copy takes no page
// faults); the caller unmaps it. size is the file's size, the buffer the
// first attempt offers (the object's own size wins).
func vmlinuxObject(size int) ([]byte, error) {
	fd, err := vmlinuxObjectFD()
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	for range 2 {
		data, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
		if err != nil {
			return nil, err
		}
		info := btfInfo{btf: unsafe.Pointer(&data[0]), btfSize: uint32(size)}
		err = objInfo(fd, &info)
		if err != nil {
			unix.Munmap(data)
			return nil, err
		}
		if int(info.btfSize) <= size {
			return data[:info.btfSize], nil // Munmap finds the mapping by its capacity
		}
		unix.Munmap(data)
		size = int(info.btfSize) // the file is shorter than the object: once more
	}
	return nil, errors.New("the vmlinux BTF object changed size")
}

// The BPF commands and attrs of union bpf_attr (include/uapi/linux/bpf.h)
// the BTF object path uses. Pointers are unsafe.Pointer (64-bit hosts: the
// kernel's __aligned_u64) so the garbage collector keeps their targets.
const (
	cmdObjGetInfoByFD = 15 // BPF_OBJ_GET_INFO_BY_FD
	cmdBTFGetFDByID   = 19 // BPF_BTF_GET_FD_BY_ID
	cmdBTFGetNextID   = 23 // BPF_BTF_GET_NEXT_ID
)

// btfInfo is struct bpf_btf_info.
type btfInfo struct {
	btf       unsafe.Pointer
	btfSize   uint32
	id        uint32
	name      unsafe.Pointer
	nameLen   uint32
	kernelBTF uint32
}

type getIDAttr struct {
	id, nextID, openFlags uint32
}

type infoAttr struct {
	fd, infoLen uint32
	info        unsafe.Pointer
}

func bpf(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
		if errno == unix.EINTR || errno == unix.EAGAIN {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}

func objInfo(fd int, info *btfInfo) error {
	attr := infoAttr{fd: uint32(fd), infoLen: uint32(unsafe.Sizeof(*info)), info: unsafe.Pointer(info)}
	_, err := bpf(cmdObjGetInfoByFD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

// vmlinuxObjectFD opens the kernel's vmlinux BTF object: the BTF object
// named "vmlinux" with kernel_btf set, walking the IDs from the first (the
// kernel gives vmlinux's BTF an ID before any module's, so it is usually
// ID 1).
func vmlinuxObjectFD() (int, error) {
	var id uint32
	for {
		next := getIDAttr{id: id}
		if _, err := bpf(cmdBTFGetNextID, unsafe.Pointer(&next), unsafe.Sizeof(next)); err != nil {
			if err == unix.ENOENT {
				return -1, errors.New("no vmlinux BTF object")
			}
			return -1, fmt.Errorf("BPF_BTF_GET_NEXT_ID: %w", err)
		}
		id = next.nextID
		get := getIDAttr{id: id}
		fd, err := bpf(cmdBTFGetFDByID, unsafe.Pointer(&get), unsafe.Sizeof(get))
		if err == unix.ENOENT {
			continue // freed meanwhile
		}
		if err != nil {
			return -1, fmt.Errorf("BPF_BTF_GET_FD_BY_ID %d: %w", id, err)
		}
		var name [64]byte // a module's name is at most 55 bytes (MODULE_NAME_LEN)
		info := btfInfo{name: unsafe.Pointer(&name[0]), nameLen: uint32(len(name))}
		err = objInfo(fd, &info)
		if err != nil && err != unix.ENOSPC { // ENOSPC: a longer name, not vmlinux
			unix.Close(fd)
			return -1, fmt.Errorf("BPF_OBJ_GET_INFO_BY_FD of BTF %d: %w", id, err)
		}
		if err == nil && info.kernelBTF != 0 && string(name[:8]) == "vmlinux\x00" {
			return fd, nil
		}
		unix.Close(fd)
	}
}

// fileSize is the size sysfs reports for f, 0 when it has none or it is
// out of range for one mapping.
func fileSize(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if size := st.Size(); size > 0 && size < 1<<31 {
		return size, nil
	}
	return 0, nil
}
