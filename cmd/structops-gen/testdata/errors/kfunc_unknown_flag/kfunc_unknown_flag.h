struct kq_ops {
	u32 (*run)(u32 a);
};

__bpf_kfunc __kf_sleepy u32 kq_nap(u32 ms);
