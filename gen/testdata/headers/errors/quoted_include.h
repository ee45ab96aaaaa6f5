#include "local_types.h"

struct i_ops {
	int (*run)(int a);
};
