package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// BPF_MAP_CREATE and BPF_PROG_LOAD issued here rather than by cilium/ebpf,
// because they carry BTF IDs the loader found itself (kernelbtf.go) and an
// fd_array for module kfuncs. The attr structs mirror union bpf_attr of
// include/uapi/linux/bpf.h up to the last field used; the kernel requires
// every byte past what it knows to be zero, so newer fields left zero keep
// older kernels happy. Instructions are marshalled little-endian (cilium/ebpf
// accepts only its named byte orders; the loader runs on amd64 and arm64).
// Pointers are unsafe.Pointer fields (8 bytes: 64-bit
// hosts only, as the kernel's __aligned_u64) so the garbage collector keeps
// what they point at alive for the syscall.
//
// Upstream, cilium/ebpf would make this unnecessary by accepting, for a
// ProgramSpec not read from an ELF, caller-resolved kfunc targets (its
// kfunc metadata key and FdArray are unexported / in internal/sys), an
// AttachBtfId/attach BTF object instead of a by-name AttachTo lookup for
// StructOps, and a value type ID (plus BTF object) for StructOpsMap.

const (
	cmdMapCreate = 0  // BPF_MAP_CREATE
	cmdProgLoad  = 5  // BPF_PROG_LOAD
	mapStructOps = 26 // BPF_MAP_TYPE_STRUCT_OPS
	progStructOp = 27 // BPF_PROG_TYPE_STRUCT_OPS

	flagVtypeBTFObjFD = 1 << 15 // BPF_F_VTYPE_BTF_OBJ_FD: value_type_btf_obj_fd is set
)

// mapCreateAttr is the BPF_MAP_CREATE member of union bpf_attr.
type mapCreateAttr struct {
	mapType               uint32
	keySize               uint32
	valueSize             uint32
	maxEntries            uint32
	mapFlags              uint32
	innerMapFD            uint32
	numaNode              uint32
	mapName               [16]byte
	mapIfindex            uint32
	btfFD                 uint32
	btfKeyTypeID          uint32
	btfValueTypeID        uint32
	btfVmlinuxValueTypeID uint32
	mapExtra              uint64
	valueTypeBTFObjFD     int32
	mapTokenFD            int32
}

// progLoadAttr is the BPF_PROG_LOAD member of union bpf_attr.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              unsafe.Pointer
	license            unsafe.Pointer
	logLevel           uint32
	logSize            uint32
	logBuf             unsafe.Pointer
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFD          uint32
	funcInfoRecSize    uint32
	funcInfo           unsafe.Pointer
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           unsafe.Pointer
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachBTFObjFD     uint32
	coreReloCnt        uint32
	fdArray            unsafe.Pointer
	coreRelos          unsafe.Pointer
	coreReloRecSize    uint32
	logTrueSize        uint32
}

func bpfSyscall(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
		switch errno {
		case 0:
			return int(r), nil
		case unix.EINTR, unix.EAGAIN:
			// the verifier is interruptible and may ask to retry
			continue
		}
		return -1, errno
	}
}

// objName is a kernel object name: at most 15 bytes, NUL-terminated.
func objName(s string) (n [16]byte) {
	copy(n[:progNameLen], s)
	return n
}

// structOpsMapSpec is what BPF_MAP_CREATE of a struct_ops map needs.
type structOpsMapSpec struct {
	name      string
	valueID   uint32 // btf_vmlinux_value_type_id
	valueSize uint32
	moduleFD  int // the BTF object of the module defining the value type, -1 for vmlinux
	btfFD     int // any BTF object: the kernel requires one with a vmlinux value type
	flags     uint32
}

// createStructOpsMap creates a struct_ops map (one entry, 4-byte key) and
// wraps it as a cilium/ebpf Map, which then does the value update.
func createStructOpsMap(s structOpsMapSpec) (*ebpf.Map, error) {
	attr := mapCreateAttr{
		mapType:               mapStructOps,
		keySize:               4,
		valueSize:             s.valueSize,
		maxEntries:            1,
		mapFlags:              s.flags,
		mapName:               objName(s.name),
		btfFD:                 uint32(s.btfFD),
		btfVmlinuxValueTypeID: s.valueID,
	}
	if s.moduleFD >= 0 {
		attr.mapFlags |= flagVtypeBTFObjFD
		attr.valueTypeBTFObjFD = int32(s.moduleFD)
	}
	fd, err := bpfSyscall(cmdMapCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		return nil, fmt.Errorf("map create: %w", err)
	}
	m, err := ebpf.NewMapFromFD(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("map create: %w", err)
	}
	return m, nil
}

// progTarget is where a struct_ops program attaches: the ops struct's BTF
// ID (and its module's BTF object), the member's index.
type progTarget struct {
	opsID    uint32
	moduleFD int // -1 for vmlinux
	member   uint32
}

// Log buffer sizes of a rejected program's second load.
const (
	logSizeStart = 64 << 10
	logSizeMax   = 64 << 20
)

// loadProgram issues BPF_PROG_LOAD for the struct_ops program ps and wraps
// it as a cilium/ebpf Program.
//
// Every ld_imm64 that refers to a map by name (a Reference, as cilium/ebpf
// records an ELF relocation; sasm.Link's strings use the name
// sasm.RodataMap) is pointed at the map of that name in maps before the
// instructions are marshalled; a name missing there is an error. fdArray
// holds the BTF objects of modules whose kfuncs the program calls, at the
// index the call's Offset gives (slot 0 unused). The instructions' Sources
// (Build's Go lines) go along as BTF line info, which the verifier prints
// in its log, as cilium/ebpf passes them. A rejection is retried
// with the verifier log and returned as "program <name>: load program:"
// wrapping an *ebpf.VerifierError, as cilium/ebpf's NewCollection reports
// it.
func loadProgram(name string, ps *ebpf.ProgramSpec, at progTarget, maps map[string]*ebpf.Map, fdArray []int32) (*ebpf.Program, error) {
	insns := make(asm.Instructions, len(ps.Instructions))
	copy(insns, ps.Instructions)
	for i := range insns {
		ref := insns[i].Reference()
		if ref == "" || !insns[i].IsLoadFromMap() {
			continue
		}
		m, ok := maps[ref]
		if !ok {
			return nil, fmt.Errorf("program %s: instruction %d: map %s: %w", name, i, ref, asm.ErrUnsatisfiedMapReference)
		}
		if err := insns[i].AssociateMap(m); err != nil {
			return nil, fmt.Errorf("program %s: instruction %d: map %s: %w", name, i, ref, err)
		}
	}
	var buf bytes.Buffer
	buf.Grow(int(insns.Size()))
	if err := insns.Marshal(&buf, binary.LittleEndian); err != nil {
		return nil, fmt.Errorf("program %s: %w", name, err)
	}
	code := buf.Bytes()
	license := append([]byte(ps.License), 0)
	attr := progLoadAttr{
		progType:           progStructOp,
		insnCnt:            uint32(len(code) / asm.InstructionSize),
		insns:              unsafe.Pointer(&code[0]),
		license:            unsafe.Pointer(&license[0]),
		progFlags:          ps.Flags,
		progName:           objName(ps.Name),
		expectedAttachType: at.member,
		attachBTFID:        at.opsID,
	}
	if at.moduleFD >= 0 {
		attr.attachBTFObjFD = uint32(at.moduleFD)
	}
	if len(fdArray) > 0 {
		attr.fdArray = unsafe.Pointer(&fdArray[0])
	}
	var b btf.Builder
	funcInfo, lineInfo, err := btf.MarshalExtInfos(insns, &b)
	if err != nil {
		return nil, fmt.Errorf("program %s: line info: %w", name, err)
	}
	if len(funcInfo) > 0 || len(lineInfo) > 0 {
		h, err := btf.NewHandle(&b)
		if err != nil {
			return nil, fmt.Errorf("program %s: load BTF of the line info: %w", name, err)
		}
		defer h.Close()
		attr.progBTFFD = uint32(h.FD())
		if len(funcInfo) > 0 {
			attr.funcInfoRecSize, attr.funcInfoCnt = btf.FuncInfoSize, uint32(len(funcInfo))/btf.FuncInfoSize
			attr.funcInfo = unsafe.Pointer(&funcInfo[0])
		}
		if len(lineInfo) > 0 {
			attr.lineInfoRecSize, attr.lineInfoCnt = btf.LineInfoSize, uint32(len(lineInfo))/btf.LineInfoSize
			attr.lineInfo = unsafe.Pointer(&lineInfo[0])
		}
	}
	fd, err := bpfSyscall(cmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	var logBuf []byte
	if err != nil && !errors.Is(err, unix.EPERM) {
		// again with the verifier's log, grown until it fits
		for size := uint32(logSizeStart); ; {
			logBuf = make([]byte, size)
			attr.logLevel, attr.logSize, attr.logBuf, attr.logTrueSize = 1, size, unsafe.Pointer(&logBuf[0]), 0
			fd, err = bpfSyscall(cmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
			if !errors.Is(err, unix.ENOSPC) || size >= logSizeMax {
				break
			}
			if attr.logTrueSize > size {
				size = min(attr.logTrueSize, logSizeMax)
			} else {
				size = min(size*4, logSizeMax)
			}
		}
	}
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	runtime.KeepAlive(fdArray)
	runtime.KeepAlive(funcInfo)
	runtime.KeepAlive(lineInfo)
	runtime.KeepAlive(logBuf)
	if err != nil {
		return nil, &progLoadError{name: name, ve: verifierError(err, logBuf)}
	}
	prog, err := ebpf.NewProgramFromFD(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("program %s: %w", name, err)
	}
	return prog, nil
}

// verifierError is the *ebpf.VerifierError of a failed load with log (a
// NUL-terminated C string), split into lines as cilium/ebpf splits it.
func verifierError(cause error, log []byte) *ebpf.VerifierError {
	if i := bytes.IndexByte(log, 0); i >= 0 {
		log = log[:i]
	}
	log = bytes.Trim(log, "\t\r\v\n ")
	ve := &ebpf.VerifierError{Cause: cause}
	if len(log) == 0 {
		return ve
	}
	for _, line := range bytes.Split(log, []byte{'\n'}) {
		ve.Log = append(ve.Log, string(bytes.TrimRight(line, "\t\r\v\n ")))
	}
	return ve
}

// progLoadError is a rejected program: "program <name>: load program:
// <cause>: <last line of the log>", unwrapping to the VerifierError.
// (cilium/ebpf builds its VerifierErrors with internal.ErrorWithLog, whose
// source field is unexported; an exported constructor would make this type
// unnecessary.)
type progLoadError struct {
	name string
	ve   *ebpf.VerifierError
}

func (e *progLoadError) Error() string {
	// VerifierError's summary, whose source (unexported) is empty here
	return fmt.Sprintf("program %s: load program: %s", e.name, strings.TrimPrefix(e.ve.Error(), ": "))
}

func (e *progLoadError) Unwrap() error { return e.ve }
