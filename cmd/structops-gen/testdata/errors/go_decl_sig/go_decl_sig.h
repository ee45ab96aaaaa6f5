struct sig_ops {
	int (*x)(int a);
	int (*x_sig)(int a);
};
