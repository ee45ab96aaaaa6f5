struct r_ops {
	int (*f)(int n__ref);
};
