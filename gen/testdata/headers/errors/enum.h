enum color { RED, GREEN };

struct e_ops {
	int (*paint)(enum color c);
};
