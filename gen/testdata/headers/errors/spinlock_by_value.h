/* a lock by value: its size depends on the configuration */
struct lk_ctx {
	spinlock_t lock;
	u32 count;
};

struct lk_ops {
	int (*run)(struct lk_ctx *ctx);
};
