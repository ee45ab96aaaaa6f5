// SPDX-License-Identifier: GPL-2.0
/* Test module for the vm package: its init fails, so finit_module fails. */
#include <linux/module.h>
#include <linux/printk.h>

static int __init failmod_init(void)
{
	pr_err("failmod: refusing to load\n");
	return -ENODEV;
}

module_init(failmod_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("structops-vm test module that fails to load");
