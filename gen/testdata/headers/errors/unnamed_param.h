struct np_ops {
	int (*run)(int a, int);
};
