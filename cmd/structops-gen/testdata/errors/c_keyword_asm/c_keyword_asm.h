struct kw_ops {
	int (*asm)(int a);
};
