struct t_ops {
	int (*run)(int a);
	u64 (*