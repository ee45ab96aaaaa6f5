struct t_ops {
	int (*run)(int a); /* unterminated
