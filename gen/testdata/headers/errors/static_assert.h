struct sa_ops {
	int (*run)(int a);
};

_Static_assert(sizeof(struct sa_ops) == 16, "sa_ops is two pointers");
