// SPDX-License-Identifier: GPL-2.0
/*
 * The three callbacks of struct bpf_testmod_ops in BPF C, built with clang
 * the way the struct_ops tutorial builds its programs: test_1 returns 42,
 * test_2 the sum of its arguments, test_3 the length it is given, each
 * leaving a line in the trace buffer. The map in .struct_ops.link binds
 * them to the kernel's struct bpf_testmod_ops; libbpf finds that type in
 * the BTF of whichever loaded module registers it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "module/bpf_testmod.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/test_1")
int BPF_PROG(tutorialc_test_1)
{
	bpf_printk("tutorialc: test_1 returns 42");
	return 42;
}

SEC("struct_ops/test_2")
int BPF_PROG(tutorialc_test_2, int a, int b)
{
	int sum = a + b;

	bpf_printk("tutorialc: test_2(%d, %d) = %d", a, b, sum);
	return sum;
}

SEC("struct_ops/test_3")
int BPF_PROG(tutorialc_test_3, const char *buf, int len)
{
	char text[64] = {};
	__u32 n = len;

	/* At most 63 bytes, so that text stays NUL-terminated. */
	if (n > sizeof(text) - 1)
		n = sizeof(text) - 1;
	if (buf && n)
		bpf_probe_read_kernel(text, n, buf);
	bpf_printk("tutorialc: test_3 got \"%s\", len %d", text, len);
	return len;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_ops = {
	.test_1 = (void *)tutorialc_test_1,
	.test_2 = (void *)tutorialc_test_2,
	.test_3 = (void *)tutorialc_test_3,
};
