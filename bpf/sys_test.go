package bpf

import (
	"testing"
	"unsafe"
)

// TestAttrLayout pins the attr structs to union bpf_attr of
// include/uapi/linux/bpf.h: a field at another offset would hand the
// kernel garbage.
func TestAttrLayout(t *testing.T) {
	var m mapCreateAttr
	var p progLoadAttr
	for _, c := range []struct {
		field     string
		got, want uintptr
	}{
		{"map_name", unsafe.Offsetof(m.mapName), 28},
		{"btf_fd", unsafe.Offsetof(m.btfFD), 48},
		{"btf_vmlinux_value_type_id", unsafe.Offsetof(m.btfVmlinuxValueTypeID), 60},
		{"map_extra", unsafe.Offsetof(m.mapExtra), 64},
		{"value_type_btf_obj_fd", unsafe.Offsetof(m.valueTypeBTFObjFD), 72},
		{"sizeof map_create", unsafe.Sizeof(m), 80},
		{"insns", unsafe.Offsetof(p.insns), 8},
		{"log_buf", unsafe.Offsetof(p.logBuf), 32},
		{"prog_flags", unsafe.Offsetof(p.progFlags), 44},
		{"prog_name", unsafe.Offsetof(p.progName), 48},
		{"expected_attach_type", unsafe.Offsetof(p.expectedAttachType), 68},
		{"func_info", unsafe.Offsetof(p.funcInfo), 80},
		{"line_info", unsafe.Offsetof(p.lineInfo), 96},
		{"attach_btf_id", unsafe.Offsetof(p.attachBTFID), 108},
		{"attach_btf_obj_fd", unsafe.Offsetof(p.attachBTFObjFD), 112},
		{"fd_array", unsafe.Offsetof(p.fdArray), 120},
		{"log_true_size", unsafe.Offsetof(p.logTrueSize), 140},
		{"sizeof prog_load", unsafe.Sizeof(p), 144},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d", c.field, c.got, c.want)
		}
	}
}
