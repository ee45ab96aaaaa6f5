// Package dummyops is bpf_dummy_ops (the kernel's struct_ops test type)
// generated from the running kernel's BTF with structops-gen's default
// bodies, unedited: test_1 returns cb->val (0 for a NULL cb), test_2 the
// sum of cb->val and its integer arguments. The kernel cannot register a
// bpf_dummy_ops map, so the test runs the programs with BPF_PROG_TEST_RUN.
package dummyops

//go:generate go run ../../cmd/structops-gen --btf /sys/kernel/btf/vmlinux --ops bpf_dummy_ops --members test_1,test_2 -o .
