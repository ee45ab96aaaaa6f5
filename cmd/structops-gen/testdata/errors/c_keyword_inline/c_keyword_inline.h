struct kw_ops {
	int (*run)(u32 inline);
};
