struct f_ops {
	int (*scale)(int a, float factor);
};
