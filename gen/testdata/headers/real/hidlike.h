/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A HID-like spec: a context struct every callback gets (with an anonymous
 * union and a pointer to an opaque device), enums as parameter types,
 * data members the loader sets (an id, flags), kernel-owned members (a
 * list head, a device pointer), pointers to scalars and a callback with
 * more than 6 arguments.
 *
 * Generate: --ops hidlike_bpf_ops
 */
#ifndef __HIDLIKE_BPF_H
#define __HIDLIKE_BPF_H

#include <linux/bpf.h>
#include <linux/const.h>
#include <linux/list.h>
#include <linux/spinlock.h>

struct hidlike_device;

#define HIDLIKE_MAX_PROGS_PER_DEV	64
#define HIDLIKE_F_BEFORE		(1U << 3)

enum hidlike_report_type {
	HIDLIKE_INPUT_REPORT		= 0,
	HIDLIKE_OUTPUT_REPORT		= 1,
	HIDLIKE_FEATURE_REPORT		= 2,

	HIDLIKE_REPORT_TYPES,
};

enum hidlike_class_request {
	HIDLIKE_REQ_GET_REPORT		= 0x01,
	HIDLIKE_REQ_GET_IDLE		= 0x02,
	HIDLIKE_REQ_SET_REPORT		= 0x09,
	HIDLIKE_REQ_SET_IDLE		= 0x0A,
};

enum hidlike_attach_flags {
	HIDLIKE_FLAG_NONE		= 0,
	HIDLIKE_FLAG_INSERT_HEAD	= _BITUL(0),
	HIDLIKE_FLAG_MAX,
};

/**
 * struct hidlike_ctx - what every program reads
 * @index: program index
 * @hid: the device (opaque to the program)
 * @allocated_size: bytes available in the data buffer
 * @report_type: the report being processed
 * @retval: return value of the previous program
 * @size: valid bytes in the data buffer
 */
struct hidlike_ctx {
	__u32 index;
	const struct hidlike_device *hid;
	__u32 allocated_size;
	enum hidlike_report_type report_type;
	union {
		__s32 retval;
		__s32 size;
	};
};

struct hidlike_bpf_ops {
	/* set by the loader, copied by init_member */
	int			hid_id;
	u32			flags;

	/* owned by the kernel side: must stay zero in the map value */
	struct list_head	list;

	int (*device_event)(struct hidlike_ctx *ctx, enum hidlike_report_type report_type,
			    u64 source);
	int (*rdesc_fixup)(struct hidlike_ctx *ctx);
	int (*hw_request)(struct hidlike_ctx *ctx, unsigned char reportnum,
			  enum hidlike_report_type rtype, enum hidlike_class_request reqtype,
			  u64 source);
	int (*hw_output_report)(struct hidlike_ctx *ctx, u64 source);
	/* 8 arguments: 7 and 8 are passed on the stack on x86-64 */
	int (*raw_request)(struct hidlike_ctx *ctx, unsigned char reportnum, __u8 *buf,
			   size_t len, enum hidlike_report_type rtype,
			   enum hidlike_class_request reqtype, u64 source, bool from_bpf);
	int (*get_data)(struct hidlike_ctx *ctx, unsigned int offset, u8 *buf, const size_t);

	/* private: do not show up in the docs */
	struct hidlike_device *hdev;
};

struct hidlike_prog_list {
	u16 prog_idx[HIDLIKE_MAX_PROGS_PER_DEV];
	u8 prog_cnt;
};

_Static_assert(sizeof(struct hidlike_ctx) == 32, "hidlike_ctx is part of the BPF ABI");

#endif /* __HIDLIKE_BPF_H */
