struct cache_ops {
	int (*load)(u64 key);
	int (*store)(u64 key, u64 val);
};
