struct kw_ops {
	int (*run)(int a, int int);
};
