package gen

import (
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/gen/read/btfspec"
)

// btfCycleBlob registers cyc_ops, whose data member loop is a pointer to an
// array of such pointers: a type cycle without a named struct in between.
func btfCycleBlob(tb testing.TB) []byte {
	ptr := &btf.Pointer{}
	ptr.Target = &btf.Array{Index: btfInt, Type: ptr, Nelems: 2}
	types := btfOpsTypes("cyc_ops", 1)
	st := types[0].(*btf.Struct)
	st.Members = append(st.Members, btf.Member{Name: "loop", Type: ptr, Offset: btf.Bits(8 * 8)})
	st.Size += 8
	types[1].(*btf.Struct).Size += 8
	return btfMarshal(tb, types)
}

// TestBTFTypeCycles: modelling and spelling a cyclic type must end (it
// overflowed the stack, a fatal error, before maxTypeDepth).
func TestBTFTypeCycles(t *testing.T) {
	f, err := btfspec.Load(filepath.Join(btfBlobDir, "cycle.btf"), "")
	if err != nil {
		t.Fatal(err)
	}
	o, err := btfspec.Read(f, "cyc_ops")
	if err != nil {
		t.Fatal(err)
	}
	loop := o.Member("loop")
	if loop == nil || loop.Data == nil || loop.Data.Kind != model.Ptr || loop.Size != 8 {
		t.Fatalf("member loop: %+v, want an 8-byte pointer data member", loop)
	}
	fs, err := Render(o, Options{GoImport: fuzzGoImport})
	if err != nil {
		t.Fatal(err)
	}
	checkGo(t, fs)
}
