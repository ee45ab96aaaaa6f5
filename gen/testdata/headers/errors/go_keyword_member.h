struct kw_ops {
	int (*func)(int a);
};
