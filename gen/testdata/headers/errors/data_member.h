struct data_ops {
	int (*run)(int a);
	int count;
};
