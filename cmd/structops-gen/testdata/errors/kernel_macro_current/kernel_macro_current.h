struct task_ops {
	int (*current)(int pid);
};
