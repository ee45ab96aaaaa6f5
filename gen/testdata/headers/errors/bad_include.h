#include pointless
struct t_ops {
	int (*run)(int a);
	int (*