struct triple { long a, b, c; };

struct val_ops {
	int (*take)(struct triple p);
};
