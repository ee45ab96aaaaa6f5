struct task_ops {
	int (*switch_to)(int prev, int current);
};
