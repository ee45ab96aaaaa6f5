package btfx

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkLookup: open /sys/kernel/btf/vmlinux and find the types a
// tcp_congestion_ops load needs, against indexing alone (no names) and
// opening alone; each way of getting the bytes (OpenVmlinux picks the first
// that works: mmap, bpf-object, read). bpf-object needs root. Run in the VM
// by e2e's BenchmarkKernelBTFInVM.
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
	for _, src := range sources {
		for _, c := range []struct {
			name  string
			wants []Want
			scan  bool
		}{{"open", nil, false}, {"index-only", nil, true}, {"names", wants, true}} {
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
					r.Close()
				}
			})
		}
	}
}

type errSkip string

func (e errSkip) Error() string { return string(e) }

var _ = unix.Munmap
