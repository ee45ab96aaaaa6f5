/*
 * Kfuncs: the module exports qsched_depth, qsched_weight and qsched_nap to the
 * programs of struct qsched_ops, and each callback's default body calls
 * the integer ones and adds their results to its own.
 */
struct task_struct;

struct qsched_ops {
	u32 (*enqueue)(u32 queue, u32 prio);
	s64 (*tick)(s32 delta);
};

/* the depth of a queue */
__bpf_kfunc u32 qsched_depth(u32 queue);
/* a weight from a class and a priority */
__bpf_kfunc s64 qsched_weight(s32 class, u8 prio);
/* may sleep: only sleepable programs may call it (the default bodies do not) */
__bpf_kfunc __kf_sleepable __kf_trusted_args s32 qsched_nap(struct task_struct *task);
