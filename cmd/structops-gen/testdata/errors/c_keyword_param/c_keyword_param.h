struct kw_ops {
	int (*run)(int default);
};
