/* bpf_testmod_ops with a member the module's type lacks. */
struct bpf_testmod_ops {
	int (*test_1)(void);
	int (*test_2)(int a, int b);
	int (*test_3)(const char *buf, int len);
	int (*test_4)(int x);
};
