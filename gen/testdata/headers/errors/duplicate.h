struct dup_ops {
	int (*run)(int a);
	int (*stop)(void);
	int (*run)(int b);
};
