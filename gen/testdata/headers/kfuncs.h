/*
 * Kfuncs: the module exports qsched_depth and qsched_weight to the
 * programs of struct qsched_ops, and each callback's default body calls
 * both and adds their results to its own.
 */
struct qsched_ops {
	u32 (*enqueue)(u32 queue, u32 prio);
	s64 (*tick)(s32 delta);
};

/* the depth of a queue */
__bpf_kfunc u32 qsched_depth(u32 queue);
/* a weight from a class and a priority */
__bpf_kfunc s64 qsched_weight(s32 class, u8 prio);
