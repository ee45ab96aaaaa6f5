package asm

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf/asm"
)

var exitSig = Sig{Name: "exit", Return: Void, Args: []Type{Ptr}}

// TestExitInfoRecord checks the record's layout matches the offsets the
// instructions write, and that the callback reads every member of the
// layout, copies both strings and stores the kind last.
func TestExitInfoRecord(t *testing.T) {
	var r ExitRecord
	if got := unsafe.Offsetof(r.Reason); got != exitReasonOff {
		t.Errorf("Reason at %d, instructions write %d", got, exitReasonOff)
	}
	if got := unsafe.Offsetof(r.Msg); got != exitMsgOff {
		t.Errorf("Msg at %d, instructions write %d", got, exitMsgOff)
	}
	e := NewExitInfo("uei", ExitInfoLayout7)
	if e.ValueSize != uint32(unsafe.Sizeof(r)) || e.MaxEntries != 1 {
		t.Errorf("map %d-byte values, %d entries", e.ValueSize, e.MaxEntries)
	}
	insns := e.Callback(exitSig)
	var read []string
	calls, lastStore := 0, ""
	for _, ins := range insns {
		if f, ok := FieldOf(ins); ok {
			read = append(read, f.Member)
		}
		if ins.IsBuiltinCall() && ins.Constant == int64(asm.FnProbeReadKernelStr) {
			calls++
		}
		if ins.OpCode.Class().IsStore() && ins.Dst == asm.R7 {
			lastStore = fmt.Sprint(ins)
		}
	}
	if got := strings.Join(read, " "); got != "reason msg exit_code kind" {
		t.Errorf("reads %q", got)
	}
	if calls != 2 {
		t.Errorf("%d string copies, want 2", calls)
	}
	if !strings.Contains(lastStore, "StXMemW dst: r7 src: r1 off: 0") {
		t.Errorf("last store %q, want the 4-byte kind at offset 0", lastStore)
	}
	n := 0
	for _, ins := range insns {
		n += int(ins.Size() / asm.InstructionSize)
	}
	if n != 19 {
		t.Errorf("%d slots, want 19:\n%v", n, insns)
	}
}

func TestExitInfoMisuse(t *testing.T) {
	e := NewExitInfo("uei", ExitInfoLayout7)
	for name, f := range map[string]func(){
		"R1":      func() { e.Record(asm.R1) },
		"no args": func() { e.Callback(Sig{Name: "exit", Return: Void}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
