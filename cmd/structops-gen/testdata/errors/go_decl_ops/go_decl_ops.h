struct net_ops {
	int (*ops)(int a);
};
