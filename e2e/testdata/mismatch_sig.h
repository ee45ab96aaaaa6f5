/* bpf_testmod_ops whose test_2 has another signature than the module's. */
struct bpf_testmod_ops {
	int (*test_1)(void);
	long (*test_2)(long a, int b, int c);
	int (*test_3)(const char *buf, int len);
};
