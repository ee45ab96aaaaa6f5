/* bpf_testmod_ops without test_3: attached, it leaves the module's test_3 unset. */
struct bpf_testmod_ops {
	int (*test_1)(void);
	int (*test_2)(int a, int b);
};
