struct bits_ops {
	int (*run)(int a);
	unsigned int flags : 3;
};
