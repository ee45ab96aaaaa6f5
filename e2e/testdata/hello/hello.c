// SPDX-License-Identifier: GPL-2.0
/*
 * hello: registers struct bpf_testmod_ops in the shape of the struct_ops
 * tutorial's module, not as structops-gen generates it: the module is
 * called hello, not bpf_testmod, and its trigger /proc/bpf_testmod_trigger
 * is write-only. Writing anything calls test_1(), test_2(10, 20) and
 * test_3(text, len) and logs what they return; there is no read handler,
 * so reading the trigger fails with EIO.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>

struct bpf_testmod_ops {
	int (*test_1)(void);
	int (*test_2)(int a, int b);
	int (*test_3)(const char *buf, int len);
};

static struct bpf_testmod_ops __rcu *hello_ops;
static struct proc_dir_entry *hello_trigger;

static int hello_test_1(void)
{
	return 0;
}

static int hello_test_2(int a, int b)
{
	return 0;
}

static int hello_test_3(const char *buf, int len)
{
	return 0;
}

static struct bpf_testmod_ops hello_stubs = {
	.test_1 = hello_test_1,
	.test_2 = hello_test_2,
	.test_3 = hello_test_3,
};

static const struct bpf_func_proto *hello_get_func_proto(enum bpf_func_id func_id,
							 const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

static const struct bpf_verifier_ops hello_verifier_ops = {
	.is_valid_access = bpf_tracing_btf_ctx_access,
	.get_func_proto = hello_get_func_proto,
};

static int hello_init(struct btf *btf)
{
	return 0;
}

static int hello_init_member(const struct btf_type *t, const struct btf_member *member,
			     void *kdata, const void *udata)
{
	return 0;
}

static int hello_reg(void *kdata, struct bpf_link *link)
{
	if (cmpxchg((struct bpf_testmod_ops **)&hello_ops, NULL, kdata))
		return -EEXIST;
	pr_info("bpf_testmod_ops registered\n");
	return 0;
}

static void hello_unreg(void *kdata, struct bpf_link *link)
{
	if (cmpxchg((struct bpf_testmod_ops **)&hello_ops, kdata, NULL) != kdata) {
		pr_warn("unreg of an implementation that is not attached\n");
		return;
	}
	pr_info("bpf_testmod_ops unregistered\n");
}

static struct bpf_struct_ops hello_struct_ops = {
	.verifier_ops = &hello_verifier_ops,
	.init = hello_init,
	.init_member = hello_init_member,
	.reg = hello_reg,
	.unreg = hello_unreg,
	.cfi_stubs = &hello_stubs,
	.name = "bpf_testmod_ops",
	.owner = THIS_MODULE,
};

static ssize_t hello_trigger_write(struct file *file, const char __user *ubuf, size_t count,
				   loff_t *pos)
{
	struct bpf_testmod_ops *ops;
	char buf[64];
	size_t n = min(count, sizeof(buf) - 1);

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';

	rcu_read_lock();
	ops = rcu_dereference(hello_ops);
	if (!ops) {
		pr_info("no bpf_testmod_ops attached\n");
	} else {
		if (ops->test_1)
			pr_info("test_1() returned: %d\n", ops->test_1());
		if (ops->test_2)
			pr_info("test_2(10, 20) returned: %d\n", ops->test_2(10, 20));
		if (ops->test_3)
			pr_info("test_3() returned: %d\n", ops->test_3(buf, n));
	}
	rcu_read_unlock();
	return count;
}

/* No .proc_read: a read of the trigger fails with EIO. */
static const struct proc_ops hello_trigger_ops = {
	.proc_write = hello_trigger_write,
};

static int __init hello_module_init(void)
{
	int ret;

	ret = register_bpf_struct_ops(&hello_struct_ops, bpf_testmod_ops);
	if (ret)
		return ret;
	hello_trigger = proc_create("bpf_testmod_trigger", 0222, NULL, &hello_trigger_ops);
	if (!hello_trigger)
		return -ENOMEM;
	return 0;
}

static void __exit hello_module_exit(void)
{
	proc_remove(hello_trigger);
}

module_init(hello_module_init);
module_exit(hello_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("struct bpf_testmod_ops in the shape of the struct_ops tutorial's module");
