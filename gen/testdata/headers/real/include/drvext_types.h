/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types of the driver-extension-like spec, in the driver's own include
 * directory: drvext.h includes it with a quoted #include that resolves only
 * with -I gen/testdata/headers/real/include.
 */
#ifndef _DRVEXT_TYPES_H
#define _DRVEXT_TYPES_H

#include <linux/types.h>

#define DRVEXT_MAX_ENGINES	8

typedef u32 DrvHandle;
typedef u64 DrvAddr;

/* typedef'd anonymous structs, the driver's house style */
typedef struct {
	DrvAddr start;
	u64 length;
} DrvRange;			/* 16 bytes: passed by value in two registers */

typedef struct {
	u32 context;
	u32 seqno;
} DrvFence;			/* 8 bytes: passed by value in one register */

typedef struct {
	DrvHandle handle;
	u32 engine_mask;
	DrvRange range;
	u64 flags;
	void *priv;		/* driver-private: opaque to programs */
} DrvFaultInfo;

typedef enum {
	DRV_ACCESS_READ,
	DRV_ACCESS_WRITE,
	DRV_ACCESS_ATOMIC,
} DrvAccessType;

#endif /* _DRVEXT_TYPES_H */
