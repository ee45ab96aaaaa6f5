struct range_ops {
	int (*min)(int a, int b);
	int (*max)(int a, int b);
};
