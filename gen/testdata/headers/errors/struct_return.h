struct pair { int a, b; };

struct ret_ops {
	struct pair (*give)(int a);
};
