/* Callbacks may return struct pointers only: newer kernels refuse to
 * register a type with any other pointer return. */
struct pr_ops {
	const char *(*name)(int id);
	u8 *(*buffer)(u32 len);
	struct sock *(*pick)(int cpu);
};
