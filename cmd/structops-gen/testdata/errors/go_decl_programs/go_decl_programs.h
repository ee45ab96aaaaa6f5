struct list_ops {
	int (*count)(int a);
	int (*programs)(void);
};
