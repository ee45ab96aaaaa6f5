package bpf

import (
	"bytes"
	"strings"
	"testing"
)

// hidLayout is a generated module's ops struct with data members the
// loader sets and members the kernel owns.
func hidLayout() *Ops {
	return &Ops{Name: "hid_ops", Module: "hid", Size: 48, Members: []Member{
		{Name: "id", Offset: 0, Size: 4, Data: &DataMember{Signed: true}},
		{Name: "flags", Offset: 4, Size: 2, Data: &DataMember{}},
		{Name: "on", Offset: 6, Size: 1, Data: &DataMember{Bool: true}},
		{Name: "name", Offset: 8, Size: 8, Data: &DataMember{String: true}},
		{Name: "owner", Offset: 16, Size: 8, KernelOwned: "the kernel sets it"},
		{Name: "run", Offset: 24, Size: 8, Func: true},
	}}
}

func TestParseData(t *testing.T) {
	ops := hidLayout()
	for _, c := range []struct {
		in   string
		want []byte
		err  string
	}{
		{in: "id=-2", want: []byte{0xfe, 0xff, 0xff, 0xff}},
		{in: "id=0x7fffffff", want: []byte{0xff, 0xff, 0xff, 0x7f}},
		{in: "id=2147483648", err: "not an s32"},
		{in: "flags=65535", want: []byte{0xff, 0xff}},
		{in: "flags=-1", err: "not a u16 (0 to 65535)"},
		{in: "on=true", want: []byte{1}},
		{in: "on=2", err: "not a bool"},
		{in: "name=t1", want: []byte("t1")},
		{in: "name=1234567", want: []byte("1234567")},
		{in: "name=12345678", err: "holds at most 7 and its NUL"},
		{in: "owner=1", err: "hid_ops.owner is set by the kernel, not the loader: the kernel sets it; settable: id, flags, on, name"},
		{in: "run=1", err: "struct hid_ops has no data member run"},
		{in: "nope=1", err: "no data member nope"},
		{in: "id", err: "want member=value, e.g. --set id=1"},
	} {
		_, got, err := ops.ParseData(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want %q", c.in, err, c.err)
		case c.err == "" && (err != nil || !bytes.Equal(got, c.want)):
			t.Errorf("%s: %x, %v; want %x", c.in, got, err, c.want)
		}
	}
}

// Data for a member the kernel owns is refused before any map update.
func TestOwnedDataRefused(t *testing.T) {
	ops := hidLayout()
	err := ops.checkOwnedData(map[string][]byte{"id": {1}, "owner": {1}})
	if err == nil || !strings.Contains(err.Error(), "data for hid_ops.owner: the kernel sets it and it must stay zero") {
		t.Errorf("owner data: %v", err)
	}
	if err := ops.checkOwnedData(map[string][]byte{"id": {1}}); err != nil {
		t.Error(err)
	}
}
