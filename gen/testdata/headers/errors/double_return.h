struct d_ops {
	double (*ratio)(int a);
};
