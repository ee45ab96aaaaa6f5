struct k_ops {
	int (*run)();
};
