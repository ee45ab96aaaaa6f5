struct bpf_testmod_ops {
	int (*test_1)(void);
	int (*test1)(void);
};
