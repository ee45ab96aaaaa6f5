struct dp_ops {
	int (*run)(int a, int a);
};
