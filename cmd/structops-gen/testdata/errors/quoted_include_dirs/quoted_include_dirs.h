/* A quoted include found neither next to the spec nor in the -I directory. */
#include "qi_types.h"

struct qi_ops {
	int (*run)(qi_handle_t h);
};
