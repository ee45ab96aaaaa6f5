/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A driver-extension-like spec (modelled on out-of-tree GPU memory
 * managers): typedefs of anonymous structs and of an anonymous enum from
 * the driver's own include directory, opaque void * arguments, structs by
 * value up to 16 bytes, an ops struct whose name does not end in _ops,
 * members named like the kernel's function-like macros (min, max), unnamed
 * parameters and a callback with 8 arguments.
 *
 * Generate: --ops gpu_mem_policy -I gen/testdata/headers/real/include
 */
#ifndef _DRVEXT_H
#define _DRVEXT_H

#include <linux/types.h>
#include <linux/gfp.h>
#include "drvext_types.h"

#define DRVEXT_POLICY_NAME_LEN	32
#define DRVEXT_PREFETCH_MAX	(2 * 1024 * 1024)

struct gpu_mem_policy {
	/* called on every GPU page fault; void * is the driver's state */
	int (*on_fault)(void *drv, DrvFaultInfo *info, DrvAccessType access);
	/* the range by value (16 bytes) and an out-parameter */
	int (*prefetch)(DrvRange range, u64 *out_bytes, gfp_t gfp);
	/* a small struct by value (8 bytes) */
	bool (*fence_done)(DrvFence fence, DrvHandle);
	void (*evict)(void *, DrvHandle handle, size_t, u32 *evicted);
	/* function-like kernel macro names: called as (ops->min)(...) */
	u64 (*min)(u64 a, u64 b);
	u64 (*max)(u64 a, u64 b);
	/* 8 arguments: 7 and 8 are passed on the stack on x86-64 */
	s64 (*migrate)(DrvHandle src, DrvHandle dst, DrvAddr src_addr, DrvAddr dst_addr,
		       size_t len, u32 engine, u64 flags, void *cookie);

	/* data members */
	u32 max_prefetch;
	char name[DRVEXT_POLICY_NAME_LEN];
};

_Static_assert(sizeof(DrvRange) == 16, "DrvRange travels in two registers");
_Static_assert(sizeof(DrvFence) <= 8, "DrvFence travels in one register");

#endif /* _DRVEXT_H */
