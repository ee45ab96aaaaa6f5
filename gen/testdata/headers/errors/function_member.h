/* A member declared as a function, not a pointer to one. */
struct s_ops {
	int (*a)(int x);
	int (b)(int y);
};
