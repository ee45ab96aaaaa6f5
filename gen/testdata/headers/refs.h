/*
 * __ref arguments (Linux 6.15 or newer): the module hands each program a
 * reference, to the caller's task or its cgroup, that the program must
 * release.
 */
struct task_struct;
struct cgroup;

struct refs_ops {
	int (*on_task)(int prio, struct task_struct *task__ref);
	s64 (*on_cgroup)(struct cgroup *cgrp__ref, s64 weight, u32 shares);
	bool (*both)(struct task_struct *t__ref, struct cgroup *c__ref, u8 flags);
	u32 (*plain)(u32 x);
};
