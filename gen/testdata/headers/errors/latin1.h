struct x_ops {
	int (*run)(int a); /* café */
};
