struct buf_ops {
	int (*__size)(int n);
};
