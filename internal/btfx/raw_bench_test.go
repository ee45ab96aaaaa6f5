package btfx

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkLookup: open /sys/kernel/btf/vmlinux and find the types a
// tcp_congestion_ops load needs, against indexing alone (no names) and
// opening alone; each way of getting the bytes (mmap, bpf-object, read:
// what a Lookup on a paged blob reads whole, the object where it may).
// bpf-object needs root. paged: the header alone, and following types 1 to
// 2,000 as a module's type follows vmlinux's (its references are mostly
// there: int, u32, the first structs). Run in the VM by e2e's
// BenchmarkKernelBTFInVM.
func BenchmarkLookup(b *testing.B) {
	wants := []Want{{KindStruct, "bpf_struct_ops_tcp_congestion_ops"}, {KindStruct, "tcp_sock"}, {KindFunc, "tcp_reno_cong_avoid"}}
	sources := []struct {
		name Source
		open func() (*Raw, error)
	}{
		{SourceMmap, func() (*Raw, error) {
			r, err := Open(vmlinuxPath, nil)
			if err == nil && r.Source() != SourceMmap {
				r.Close()
				return nil, errSkip("the kernel does not map " + vmlinuxPath)
			}
			return r, err
		}},
		{SourceObject, func() (*Raw, error) {
			data, err := vmlinuxObject(5 << 20)
			if err != nil {
				return nil, errSkip(err.Error())
			}
			r, err := Parse(data, nil)
			if err != nil {
				return nil, err
			}
			r.source = SourceObject
			return r, nil
		}},
		{SourceRead, func() (*Raw, error) {
			data, err := os.ReadFile(vmlinuxPath)
			if err != nil {
				return nil, errSkip(err.Error())
			}
			return Parse(data, nil)
		}},
	}
	type phase struct {
		name   string
		wants  []Want
		scan   bool
		follow TypeID
	}
	whole := []phase{{"open", nil, false, 0}, {"index-only", nil, true, 0}, {"names", wants, true, 0}}
	sources = append(sources, struct {
		name Source
		open func() (*Raw, error)
	}{SourcePaged, func() (*Raw, error) {
		f, err := os.Open(vmlinuxPath)
		if err != nil {
			return nil, errSkip(err.Error())
		}
		r, err := openPaged(vmlinuxPath, f, func() ([]byte, Source, error) { return nil, "", errSkip("paged only") })
		if err != nil {
			f.Close()
		}
		return r, err
	}})
	for _, src := range sources {
		phases := whole
		if src.name == SourcePaged {
			phases = []phase{{"open", nil, false, 0}, {"follow-2000", nil, false, 2000}}
		}
		for _, c := range phases {
			b.Run(string(src.name)+"/"+c.name, func(b *testing.B) {
				for b.Loop() {
					r, err := src.open()
					if _, ok := err.(errSkip); ok {
						b.Skip(err)
					}
					if err != nil {
						b.Fatal(err)
					}
					if c.scan {
						if _, err := r.Lookup(c.wants); err != nil {
							b.Fatal(err)
						}
					}
					for id := TypeID(1); id <= c.follow; id++ {
						if _, err := r.Type(id); err != nil {
							b.Fatal(err)
						}
					}
					r.Close()
				}
			})
		}
	}
}

type errSkip string

func (e errSkip) Error() string { return string(e) }

var _ = unix.Munmap
