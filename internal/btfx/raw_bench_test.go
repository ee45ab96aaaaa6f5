package btfx

import "testing"

// BenchmarkLookup: open /sys/kernel/btf/vmlinux and find the types a
// tcp_congestion_ops load needs, against indexing alone (no names).
func BenchmarkLookup(b *testing.B) {
	wants := []Want{{KindStruct, "bpf_struct_ops_tcp_congestion_ops"}, {KindStruct, "tcp_sock"}, {KindFunc, "tcp_reno_cong_avoid"}}
	for _, c := range []struct {
		name  string
		wants []Want
	}{{"names", wants}, {"index-only", nil}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r, err := Open("/sys/kernel/btf/vmlinux", nil)
				if err != nil {
					b.Skip(err)
				}
				if _, err := r.Lookup(c.wants); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
