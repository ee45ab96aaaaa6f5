struct a_ops { int (*run)(int a); };
struct b_ops { int (*run)(int a); };
struct c_ops { int (*run)(int a); };
