/*
 * The kfuncs spec with one more kfunc, qsched_missing, which the module
 * built from gen/testdata/headers/kfuncs.h does not export: its loader
 * must be refused before load, naming the kfunc and the module.
 */
struct qsched_ops {
	u32 (*enqueue)(u32 queue, u32 prio);
	s64 (*tick)(s32 delta);
};

__bpf_kfunc u32 qsched_depth(u32 queue);
__bpf_kfunc s64 qsched_weight(s32 class, u8 prio);
__bpf_kfunc u32 qsched_missing(u32 x);
