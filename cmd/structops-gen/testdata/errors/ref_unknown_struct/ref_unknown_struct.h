struct sock;
struct r_ops {
	int (*f)(struct sock *sk__ref);
};
