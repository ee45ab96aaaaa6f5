/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Context structs of the selftests-like spec (selftests.h includes this file
 * with a quoted #include, resolved next to it). Each is passed to callbacks
 * by pointer, so the module must define it in full for its BTF.
 */
#ifndef _SELFTESTS_CTX_H
#define _SELFTESTS_CTX_H

#include <linux/types.h>

struct selftest_read_ctx {
	char *buf;
	loff_t off;
	size_t len;
};

struct selftest_writable_ctx {
	bool early_ret;
	int val;
};

/* What the prologue/epilogue programs read and write. */
struct st_args {
	u64 a;
};

_Static_assert(sizeof(struct selftest_read_ctx) == 24, "selftest_read_ctx layout");

#endif /* _SELFTESTS_CTX_H */
