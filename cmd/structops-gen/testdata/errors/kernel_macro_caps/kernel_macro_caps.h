struct buf_ops {
	int (*ARRAY_SIZE)(int n);
};
