struct bad_ops {
	int (*test_1)(int a)
	int (*test_2)(void);
};
