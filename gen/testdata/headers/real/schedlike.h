/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scheduler-like spec: enums (one with 64-bit values, one with a value
 * computed from HZ), argument-container structs passed by pointer (one of
 * them empty, one carrying an enum and a task pointer), data members after
 * the callbacks (batch size, 64-bit flags, a timeout, a name), and a
 * callback with 7 arguments.
 *
 * Generate: --ops sched_like_ops
 */
#ifndef _SCHED_LIKE_H
#define _SCHED_LIKE_H

#include <linux/types.h>
#include <linux/jiffies.h>
#include <linux/sched.h>

#define SL_OPS_NAME_LEN		128

enum sl_consts {
	SL_DSP_DFL_MAX_BATCH	= 32,
	SL_WATCHDOG_MAX_TIMEOUT	= 30 * HZ,
	SL_EXIT_MSG_LEN		= 1024,
};

enum sl_exit_kind {
	SL_EXIT_NONE,
	SL_EXIT_DONE,

	SL_EXIT_UNREG = 64,
	SL_EXIT_UNREG_BPF,

	SL_EXIT_ERROR = 1024,
};

/* 64-bit enumerators: BTF_KIND_ENUM64 */
enum sl_ops_flags {
	SL_OPS_KEEP_BUILTIN_IDLE	= 1LLU << 0,
	SL_OPS_ENQ_LAST			= 1LLU << 1,
	SL_OPS_HAS_CPU_PREEMPT		= 1LLU << 56,
};

enum sl_cpu_preempt_reason {
	SL_CPU_PREEMPT_RT,
	SL_CPU_PREEMPT_DL,
	SL_CPU_PREEMPT_UNKNOWN,
};

struct sl_exit_info {
	enum sl_exit_kind	kind;
	s64			exit_code;
	u64			flags;
	const char		*reason;
	unsigned long		*bt;
	u32			bt_len;
	char			*msg;
};

struct sl_init_task_args {
	bool			fork;
	struct cgroup		*cgroup;
};

struct sl_cgroup_init_args {
	u32			weight;
	u64			bw_period_us;
	u64			bw_quota_us;
};

/* empty: a GNU C extension the kernel uses for future arguments */
struct sl_cpu_acquire_args {};

struct sl_cpu_release_args {
	enum sl_cpu_preempt_reason reason;
	struct task_struct	*task;
};

struct sched_like_ops {
	s32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags);
	void (*enqueue)(struct task_struct *p, u64 enq_flags);
	void (*dispatch)(s32 cpu, struct task_struct *prev);
	bool (*yield)(struct task_struct *from, struct task_struct *to);
	void (*cpu_acquire)(s32 cpu, struct sl_cpu_acquire_args *args);
	void (*cpu_release)(s32 cpu, struct sl_cpu_release_args *args);
	s32 (*init_task)(struct task_struct *p, struct sl_init_task_args *args);
	s32 (*cgroup_init)(struct cgroup *cgrp, struct sl_cgroup_init_args *args);
	/* 7 arguments: the 7th is passed on the stack on x86-64 */
	void (*cgroup_set_bandwidth)(struct cgroup *cgrp, u64 period_us, u64 quota_us,
				     u64 burst_us, u32 weight, s32 nice, bool throttled);
	s32 (*init)(void);
	void (*exit)(struct sl_exit_info *info);

	/* data members */
	u32 dispatch_max_batch;
	u64 flags;
	u32 timeout_ms;
	u32 exit_dump_len;
	u64 hotplug_seq;
	char name[SL_OPS_NAME_LEN];
};

_Static_assert(sizeof(struct sl_exit_info) == 56, "sl_exit_info layout");
_Static_assert(SL_OPS_NAME_LEN >= 16, "room for a scheduler name");

#endif /* _SCHED_LIKE_H */
