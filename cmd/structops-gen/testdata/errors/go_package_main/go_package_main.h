struct main {
	int (*run)(int a);
};
