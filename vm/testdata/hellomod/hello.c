// SPDX-License-Identifier: GPL-2.0
/* Test module for the vm package: says hello on load and goodbye on unload. */
#include <linux/module.h>
#include <linux/printk.h>

static int __init hellomod_init(void)
{
	pr_info("hellomod: hello from the structops-vm test module\n");
	return 0;
}

static void __exit hellomod_exit(void)
{
	pr_info("hellomod: goodbye\n");
}

module_init(hellomod_init);
module_exit(hellomod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("structops-vm test module");
