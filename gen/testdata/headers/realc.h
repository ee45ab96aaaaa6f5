/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C real headers use: kernel includes and typedefs, enums (one of
 * 64-bit values, one computed from HZ), unnamed parameters, opaque
 * pointers, members named like the kernel's function-like macros, and an
 * ops struct whose name does not end in _ops.
 */
#ifndef _REALC_H
#define _REALC_H

#include <linux/types.h>
#include <linux/jiffies.h>
#include <linux/bits.h>

#define REALC_F_SYNC	BIT(0)
#define REALC_F_ASYNC	_BITUL(1)

enum realc_mode {
	REALC_MODE_READ,
	REALC_MODE_WRITE	= 64,
};

enum realc_level {
	REALC_LEVEL_LOW		= -1,
	REALC_LEVEL_HIGH	= 1,
};

enum realc_flags {
	REALC_FLAG_A		= 1LLU << 0,
	REALC_FLAG_WIDE		= 1LLU << 56,
};

enum realc_consts {
	REALC_TIMEOUT		= 30 * HZ,
};

typedef enum {
	REALC_KIND_X,
	REALC_KIND_Y,
} realc_kind_t;

/* a typedef'd anonymous struct, the driver's house style */
typedef struct {
	u32 engine;
	u64 addr;
} realc_fault_t;

/* passed by value: 16 bytes in two registers, 8 bytes in one */
typedef struct {
	u64 start;
	u64 length;
} realc_range_t;

struct realc_fence {
	u32 context;
	u32 seqno;
};

struct realc_policy {
	ssize_t (*io)(loff_t pos, size_t len, pid_t pid, uid_t uid, gfp_t gfp);
	int (*mode)(enum realc_mode mode, enum realc_level level, realc_kind_t kind);
	u64 (*flags)(enum realc_flags f, u32);
	void (*pair)(int, int);
	int (*fill)(void *buf, u64 *out, const void *, size_t len);
	int (*data)(u8 *buf, u32 offset);
	u64 (*min)(u64 a, u64 b);
	u64 (*max)(u64 a, u64 b);
	u32 (*timeout)(u32 ticks[REALC_TIMEOUT]);
	gfp_t (*gfp)(gfp_t in, __be32 addr);
	int (*fault)(const realc_fault_t *fault, u32 flags);
	int (*prefetch)(realc_range_t range, u64 *out_bytes, gfp_t gfp);
	bool (*fence_done)(struct realc_fence fence, u32);
};

_Static_assert(REALC_TIMEOUT == 7500, "read with HZ = 250");
_Static_assert((REALC_F_SYNC | REALC_F_ASYNC) == 3, "flag bits");

#endif /* _REALC_H */
