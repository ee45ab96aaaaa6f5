struct ptr_ops {
	int (*read)(int *val);
};
