/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Context-struct constructs the golden specs lack, for the --emit-module round
 * trip: bitfields, a typedef of an anonymous struct held by value, a pointer
 * to the struct itself.
 */
#include <linux/types.h>

typedef struct {
	u32 lo;
	u32 hi;
} emitdefs_range_t;

struct emitdefs_bits {
	u32 a:3;
	u32 b:5;
	u16 c;
	u8 d:1;
};

struct emitdefs_ctx {
	struct emitdefs_bits bits;
	u8 tag;
	u64 wide;
	emitdefs_range_t range;
	struct emitdefs_ctx *next;
};

struct emitdefs_ops {
	int (*run)(struct emitdefs_ctx *ctx, u32 n);
	u64 (*span)(u64 x);
};
