package btfx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestRawCorrupt: damaged blobs (gen's fixtures) are refused with an
// error, never a panic, when parsed and scanned.
func TestRawCorrupt(t *testing.T) {
	dir := filepath.Join("..", "..", "gen", "testdata", "btf")
	for _, name := range []string{"badkind.btf", "truncated.btf", "corrupt.btf", "ops.o"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(data, nil)
		if err == nil {
			_, err = r.Lookup([]Want{{KindStruct, "bpf_struct_ops_x"}})
		}
		if err == nil {
			t.Errorf("%s: parsed and scanned without an error", name)
		}
		// paged: refused by the header, or when a type is followed
		p, err := ParsePaged(bytes.NewReader(data), int64(len(data)), data)
		if err == nil {
			_, err = p.Type(1 << 20)
		}
		if err == nil {
			t.Errorf("%s: read paged without an error", name)
		}
	}
	good, err := os.ReadFile(filepath.Join(dir, "ops.btf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(good, nil)
	if err != nil {
		t.Fatalf("ops.btf: %v", err)
	}
	if _, err := r.Lookup(nil); err != nil {
		t.Fatalf("ops.btf: %v", err)
	}
	if _, err := r.Type(TypeID(r.ntypes + 1)); err == nil {
		t.Error("a type ID past the last type: no error")
	}
}
