// SPDX-License-Identifier: GPL-2.0
/*
 * The kfuncs of the qsched module: kernel functions the programs of
 * struct qsched_ops call. qsched.h declares them and qsched_main.c exports
 * them (BTF_ID_FLAGS), as the spec says.
 *
 * This file is yours: structops-gen writes it once and never overwrites it.
 * Keep each kfunc's signature as the spec declares it.
 */

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/kernel.h>
#include <linux/printk.h>

#include "qsched.h"

__bpf_kfunc_start_defs();

/* Default body: logs the call (pr_debug), returns the sum of its integer arguments plus one. */
__bpf_kfunc u32 qsched_depth(u32 queue)
{
	pr_debug("qsched_depth(queue=%llu)\n", (u64)queue);
	return (u32)((s64)queue + 1);
}

/* Default body: logs the call (pr_debug), returns the sum of its integer arguments plus one. */
__bpf_kfunc s64 qsched_weight(s32 class, u8 prio)
{
	pr_debug("qsched_weight(class=%lld, prio=%llu)\n", (s64)class, (u64)prio);
	return (s64)((s64)class + (s64)prio + 1);
}

/* Default body: logs the call (pr_debug), returns the sum of its integer arguments plus one. */
__bpf_kfunc s32 qsched_nap(struct task_struct *task)
{
	pr_debug("qsched_nap(task=%s)\n", task ? "non-NULL" : "NULL");
	return 1;
}

__bpf_kfunc_end_defs();
