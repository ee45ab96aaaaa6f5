/* Every problem of a header in one run: unknown types (one a near miss
 * of a known one), an unknown macro from a header the reader does not
 * read, and the members' own problems. */
#include <linux/foo.h>

struct sp_ctx {
	foo_t cookie;
	u32 len;
};

struct sp_ops {
	int (*run)(sizet len, struct sp_ctx *ctx);
	int (*fill)(int buf[FOO_MAX]);
	int (*ratio)(double r);
	int (*dup)(int a, int a);
	int (*fine)(u32 a);
};
