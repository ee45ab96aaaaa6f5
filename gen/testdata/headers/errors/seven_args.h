struct seven_ops {
	int (*ok)(int a, int b, int c, int d, int e, int f);
	int (*seven)(int a, int b, int c, int d, int e, int f, int g);
};
