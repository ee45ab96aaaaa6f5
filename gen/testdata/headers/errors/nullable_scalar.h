struct n_ops {
	int (*run)(int a__nullable);
};
