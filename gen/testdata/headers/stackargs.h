/*
 * Callbacks with more than 6 arguments: on x86-64 the 7th and later are
 * passed on the stack, which the struct_ops trampoline of Linux 6.12 hands
 * to BPF one slot off, so the module requires 7.3. A struct of 9 to 16
 * bytes passed by value takes two slots.
 */
struct sa_pair {
	u64 lo;
	u64 hi;
};

struct stackargs_ops {
	u64 (*seven)(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6, u64 a7);
	s64 (*twelve)(s8 a1, u8 a2, s16 a3, u16 a4, s32 a5, u32 a6,
		      s64 a7, u64 a8, s8 a9, u16 a10, s32 a11, u64 a12);
	u32 (*eight)(u32 a1, u32 a2, u32 a3, u32 a4, u32 a5, u32 a6, bool a7, s16 a8);
	int (*six)(int a1, int a2, int a3, int a4, int a5, int a6);
	/*
	 * A 16-byte struct with one register left: the struct goes on the
	 * stack, a7 in the last register (x86-64), while the ctx keeps the
	 * arguments in order.
	 */
	u64 (*pair)(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, struct sa_pair p, u64 a7);
};
