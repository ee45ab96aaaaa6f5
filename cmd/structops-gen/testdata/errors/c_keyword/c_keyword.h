struct kw_ops {
	int (*run)(int a);
	int (*default)(int a);
};
