struct cp_ops {
	int (*name)(char *buf, int len);
};
