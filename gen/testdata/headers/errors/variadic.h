struct log_ops {
	int (*printk)(const char *fmt, ...);
};
