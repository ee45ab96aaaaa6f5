union val { int i; long l; };

struct un_ops {
	int (*run)(int a);
	union val v;
};
