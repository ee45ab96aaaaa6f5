/* Argument counts and pointer kinds at the kernel's limits. */
struct sock;
struct task_struct;

struct manyargs_ops {
	/* 6 arguments: all in registers. */
	u64 (*six)(u64 a1, s64 a2, u32 a3, s32 a4, u16 a5, s8 a6);
	int (*mixed)(const char *name, struct sock *sk, u32 len,
		     struct task_struct *task__nullable, char const *comm);
	struct sock *(*pick)(const struct sock *prev__nullable, int cpu);
	const struct sock *(*describe)(struct task_struct *task);
};
