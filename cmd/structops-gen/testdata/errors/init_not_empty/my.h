struct my_ops {
	int (*add)(int a, int b);
	long (*scale)(long x);
};
