struct kq_ops {
	u32 (*run)(u32 a);
};

u32 kq_plain(u32 q);
__bpf_kfunc u32 kq_def(u32 q) { return q; }
__bpf_kfunc;
__bpf_kfunc u32 kq_var(u32 a, ...);
