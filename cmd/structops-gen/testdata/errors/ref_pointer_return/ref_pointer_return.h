struct task_struct;
struct r_ops {
	struct task_struct *(*f)(struct task_struct *t__ref);
};
