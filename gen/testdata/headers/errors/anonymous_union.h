struct u_ops {
	int (*run)(int a);
	union {
		int (*x)(void);
		long (*y)(void);
	};
};
