/* SPDX-License-Identifier: GPL-2.0 */
/* A kernel-style header: include, comments, forward declarations and a
 * second, non-ops struct next to the ops struct. */
#ifndef _KERNEL_NAMES_H
#define _KERNEL_NAMES_H

#include <linux/types.h>

struct sk_buff;
struct net_device;

#define KN_NAME_LEN 16

/* Not an ops struct: has data members. */
struct kn_stats {
	u64 packets;
	char name[KN_NAME_LEN];
};

struct kn_ops {
	// Called for each packet.
	s32 (*rx)(struct sk_buff *skb, struct net_device *dev, __u32 queue);
	__s64 (*tx_done)(struct sk_buff *skb, u64 cookie);
	u32 (*hash)(const char *key, __u16 key_len, u32 seed); /* trailing */
	void (*stats)(struct kn_stats *stats);
};

#endif /* _KERNEL_NAMES_H */
