struct go {
	int (*run)(int a);
};
