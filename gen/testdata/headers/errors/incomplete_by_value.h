/* kernel structs by value that the spec does not define */
struct ib_ctx {
	struct mutex lock;
	u32 count;
};

struct ib_ops {
	int (*run)(struct ib_ctx *ctx);
	int (*take)(struct rb_root root);
};
