package bpf

// WithCiliumLoader returns a copy of opts (nil: the defaults) that loads
// through cilium/ebpf's NewCollection alone, the reference the benchmarks
// and comparison tests measure Load against.
func WithCiliumLoader(opts *Options) *Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.cilium = true
	return &o
}
