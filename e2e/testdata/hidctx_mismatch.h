/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hidctx.h with the context struct's index and allocated_size swapped: a
 * loader built from it must refuse the module built from hidctx.h.
 *
 * A HID-like spec: a context struct every callback gets, with an anonymous
 * union, an enum field, a nested struct and a pointer to an opaque device;
 * data members the loader sets (an id, flags, a name) and members only the
 * kernel sets (the owner, a list head, a device pointer).
 */
#ifndef _HIDCTX_H
#define _HIDCTX_H

#include <linux/types.h>
#include <linux/list.h>

struct hidctx_device;
struct module;

#define HIDCTX_NAME_LEN 16

enum hidctx_report_type {
	HIDCTX_INPUT_REPORT = 0,
	HIDCTX_OUTPUT_REPORT = 1,
	HIDCTX_FEATURE_REPORT = 2,
};

typedef u32 hidctx_flags_t;

struct hidctx_range {
	u16 start;
	u16 len;
};

struct hidctx_ctx {
	__u32 allocated_size;
	const struct hidctx_device *hid;
	__u32 index;
	enum hidctx_report_type report_type;
	union {
		__s32 retval;
		__s32 size;
	};
	struct hidctx_range range;
	hidctx_flags_t flags;
};

struct hidctx_ops {
	/* set by the loader, copied by init_member */
	int hid_id;
	u32 flags;
	char name[HIDCTX_NAME_LEN];
	bool quirks;

	/* set by the kernel: zero in the map value */
	struct module *owner;
	struct list_head list;

	int (*device_event)(struct hidctx_ctx *ctx, u64 source);
	int (*rdesc_fixup)(struct hidctx_ctx *ctx);
	s64 (*hw_request)(struct hidctx_ctx *ctx, u8 reportnum, s32 skew);
	/* the trigger passes NULL for the word NULL */
	u32 (*report)(struct hidctx_ctx *ctx__nullable, u32 n);
	/* C's sum: u32 + s32 is unsigned int, then widened */
	u64 (*stamp)(u32 cpu, s32 skew);

	struct hidctx_device *hdev;
};

_Static_assert(sizeof(struct hidctx_ctx) == 40, "hidctx_ctx is part of the BPF ABI");

#endif /* _HIDCTX_H */
