struct job_ops {
	int (*run)(int a);
	int (*stop)(int a);
	int (*pause)(u32 ms);
};
