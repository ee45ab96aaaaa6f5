struct task_struct;

struct kq_ops {
	u32 (*run)(u32 a);
};

__bpf_kfunc __kf_ret_null u32 kq_depth(u32 queue);
__kf_trusted_args __bpf_kfunc u32 kq_many(u32 a, u32 b, u32 c, u32 d, u32 e, u32 f);
__bpf_kfunc __kf_sleepable s32 kq_name(const char *name);
__bpf_kfunc u32 kq_module_init(void);
__bpf_kfunc u32 kq_ops__run(u32 a);
