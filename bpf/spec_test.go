package bpf

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
)

func TestSpec(t *testing.T) {
	ops := &Ops{Name: "tcp_congestion_ops", Size: 40, Members: []Member{
		{Name: "ssthresh", Offset: 0, Size: 8, Func: true},
		{Name: "a_very_long_callback_name", Offset: 8, Size: 8, Func: true},
		{Name: "name", Offset: 16, Size: 16},
		{Name: "flags", Offset: 32, Size: 4},
	}}
	progs := map[string]asm.Instructions{
		"ssthresh":                  {asm.Mov.Imm(asm.R0, 1), asm.Return()},
		"a_very_long_callback_name": {asm.Mov.Imm(asm.R0, 1), asm.Return()},
	}
	spec, err := Spec(ops, progs, &Options{Data: map[string][]byte{"name": []byte("cc")}})
	if err != nil {
		t.Fatal(err)
	}
	p := spec.Programs["a_very_long_callback_name"]
	if p.Name != "a_very_long_cal" || p.AttachTo != "tcp_congestion_ops:a_very_long_callback_name" || p.License != "GPL" {
		t.Errorf("program spec %+v", p)
	}
	if _, ok := spec.Maps[".rodata"]; ok {
		t.Error("a .rodata map without strings")
	}
	m := spec.Maps["tcp_congestion_ops"]
	if m.Flags != 0x2000 || m.MaxEntries != 1 || m.KeySize != 4 {
		t.Errorf("map spec %+v", m)
	}
	st := m.Value.(*btf.Struct)
	var names []string
	for _, mem := range st.Members {
		names = append(names, fmt.Sprintf("%s@%d", mem.Name, mem.Offset.Bytes()))
	}
	// flags has no data: left out
	if strings.Join(names, " ") != "ssthresh@0 a_very_long_callback_name@8 name@16" || st.Size != 40 {
		t.Errorf("value struct members %v size %d", names, st.Size)
	}
	value := m.Contents[0].Value.([]byte)
	if len(value) != 40 || string(value[16:18]) != "cc" || value[18] != 0 {
		t.Errorf("value %q", value)
	}

	// strings make a frozen .rodata; the caller's programs are not modified
	with := map[string]asm.Instructions{"ssthresh": append(sasm.String(asm.R1, "hi"), asm.Return())}
	spec, err = Spec(ops, with, &Options{Data: map[string][]byte{"name": []byte("cc")}})
	if err != nil {
		t.Fatal(err)
	}
	ro := spec.Maps[".rodata"]
	if ro == nil || string(ro.Contents[0].Value.([]byte)) != "hi\x00" || ro.Flags != 0x80 {
		t.Fatalf(".rodata %+v", ro)
	}
	if with["ssthresh"][0].Reference() != "" || spec.Programs["ssthresh"].Instructions[0].Reference() != ".rodata" {
		t.Error("Spec changed the caller's instructions or did not link its copy")
	}

	for _, c := range []struct {
		ops   *Ops
		progs map[string]asm.Instructions
		data  map[string][]byte
		err   string
	}{
		{ops, map[string]asm.Instructions{"nope": progs["ssthresh"]}, nil, "has no callback nope"},
		{ops, map[string]asm.Instructions{"name": progs["ssthresh"]}, nil, "has no callback name"},
		{ops, progs, map[string][]byte{"name": make([]byte, 17)}, "17 bytes do not fit the 16-byte member"},
		{ops, progs, map[string][]byte{"ssthresh": {1}}, "no data member ssthresh"},
		{ops, nil, nil, "no programs"},
		{&Ops{Name: "x", Size: 8, Members: []Member{{Name: "f", Offset: 4, Size: 8, Func: true}}}, nil, nil, "does not fit"},
		{&Ops{Name: "x", Size: 16, Members: []Member{{Name: "f", Offset: 4, Size: 8, Func: true}}}, nil, nil, "8-aligned"},
		{&Ops{Size: 8}, nil, nil, "without a name"},
	} {
		_, err := Spec(c.ops, c.progs, &Options{Data: c.data})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Spec: %v, want %q", err, c.err)
		}
	}
}
