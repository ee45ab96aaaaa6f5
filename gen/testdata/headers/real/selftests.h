/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A selftests-like spec: several ops structs in one header, data members
 * the module's init_member copies (a char array, flags, an id), a member
 * only the kernel sets (owner), kernel-owned list nodes, context structs
 * from a second header, unnamed parameters and pointers to scalars.
 *
 * Generate: --ops selftest_ops, --ops selftest_ops2 (name not ending in
 * _ops), --ops selftest_st_ops (context struct by pointer, owner),
 * --ops selftest_multi_st_ops (hlist_node and an id).
 */
#ifndef _SELFTESTS_H
#define _SELFTESTS_H

#include <linux/types.h>
#include <linux/list.h>
#include "selftests_ctx.h"

#define SELFTEST_NAME_SZ	16
#define SELFTEST_MAGIC		0x5e1f

struct task_struct;
struct cgroup;
struct module;

struct selftest_ops {
	int (*test_1)(void);
	void (*test_2)(int, int);
	/* nullable and plain struct pointers */
	int (*test_maybe_null)(int dummy, struct task_struct *task__nullable);
	/* a context struct read by the program */
	int (*test_read)(struct selftest_read_ctx *ctx, u32 flags);
	int (*test_writable)(struct selftest_writable_ctx *ctx);
	/* a pointer to a scalar the program may write through */
	int (*test_out)(u64 *out, size_t len, loff_t pos);
	ssize_t (*test_size)(pid_t pid, uid_t uid, gfp_t gfp);

	/* data members: copied by init_member, set by the loader */
	char onebyte;
	int data;
	u32 flags;
	char name[SELFTEST_NAME_SZ];

	int (*tramp_1)(int value);
	int (*tramp_2)(int value);
};

/* An ops struct whose name does not end in _ops. */
struct selftest_ops2 {
	int (*test_1)(void);
};

struct selftest_st_ops {
	int (*test_prologue)(struct st_args *args);
	int (*test_epilogue)(struct st_args *args);
	int (*test_pro_epilogue)(struct st_args *args);
	struct module *owner;
};

struct selftest_multi_st_ops {
	int (*test_1)(struct st_args *args);
	struct hlist_node node;
	int id;
};

_Static_assert(SELFTEST_NAME_SZ % 8 == 0, "name keeps the members aligned");

#endif /* _SELFTESTS_H */
