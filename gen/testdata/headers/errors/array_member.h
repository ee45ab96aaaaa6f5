struct arr_ops {
	int (*run)(int a);
	char name[16];
};
