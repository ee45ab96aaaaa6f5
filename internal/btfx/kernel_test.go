package btfx

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

const vmlinuxPath = "/sys/kernel/btf/vmlinux"

// TestVmlinuxObject: the one-call copy of the kernel's vmlinux BTF object
// is exactly the bytes of /sys/kernel/btf/vmlinux, and OpenVmlinux (which
// maps the file where the kernel allows it) reads the same bytes. Needs
// root (CAP_SYS_ADMIN) and a kernel with BTF.
func TestVmlinuxObject(t *testing.T) {
	file, err := os.ReadFile(vmlinuxPath)
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("BPF_BTF_GET_FD_BY_ID needs CAP_SYS_ADMIN: run as root")
	}
	// a wrong size first: the object's own size wins
	for _, size := range []int{len(file), len(file) / 2, len(file) + 4096} {
		data, err := vmlinuxObject(size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(data, file) {
			t.Errorf("size %d: the BTF object's data (%d bytes) differ from %s (%d bytes)", size, len(data), vmlinuxPath, len(file))
		}
		unix.Munmap(data)
	}
	r, err := OpenVmlinux(vmlinuxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !bytes.Equal(r.data, file) {
		t.Errorf("OpenVmlinux (%s): %d bytes that differ from the file's", r.Source(), len(r.data))
	}
	t.Logf("OpenVmlinux reads the %s", r.Source())
}

// TestLookupAgainstWalk: Lookup (which compares a name only when its first
// four bytes match) finds, for names of every length, the first type of
// the kind and name that walking every type with Type finds, and 0 for
// names no type has; on the running kernel's vmlinux and on gen's
// fixtures, a split one (mod_ops.btf on base.btf) among them, whose types
// may be named from the base's strings.
func TestLookupAgainstWalk(t *testing.T) {
	read := func(name string) []byte { return fixture(t, name) }
	base, err := Parse(read("base.btf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := Parse(read("mod_ops.btf"), base)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := Parse(read("ops.btf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string]*Raw{"base.btf": base, "mod_ops.btf on base.btf": mod, "ops.btf": ops}
	if r, err := OpenVmlinux(vmlinuxPath); err == nil {
		defer r.Close()
		blobs[vmlinuxPath] = r
	}
	for what, r := range blobs {
		if _, err := r.Lookup(nil); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		// the first type of each kind and name, by walking; a sample of
		// at most 8 names of each length and kind
		first := map[Want]TypeID{}
		perLen := map[[2]int]int{}
		var wants []Want
		for id := r.firstID; int(id-r.firstID) < r.ntypes; id++ {
			ty, err := r.Type(id)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			w := Want{ty.Kind, ty.Name}
			if _, seen := first[w]; seen || ty.Name == "" {
				continue
			}
			first[w] = id
			if k := [2]int{int(ty.Kind), min(len(ty.Name), 9)}; perLen[k] < 8 {
				perLen[k]++
				wants = append(wants, w)
			}
		}
		for _, w := range slices.Clone(wants) {
			// near misses: a prefix, the name with a byte more, another kind
			wants = append(wants, Want{w.Kind, w.Name[:len(w.Name)-1]}, Want{w.Kind, w.Name + "_"}, Want{KindFloat, w.Name})
		}
		ids, err := r.Lookup(wants)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for i, w := range wants {
			if ids[i] != first[w] {
				t.Errorf("%s: Lookup(%v) = %d, walking finds %d", what, w, ids[i], first[w])
			}
		}
		t.Logf("%s: %d wants, %d found", what, len(wants), len(first))
	}
}
