struct pair { int a, b; };

struct val_ops {
	int (*take)(struct pair p);
};
