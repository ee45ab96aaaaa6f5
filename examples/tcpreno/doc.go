// Package tcpreno is a worked example: a TCP congestion control written in
// Go asm, generated from the running kernel's BTF and then edited by hand.
//
// tcpcongestionops/ops.go and tcpcongestionops/loader are generated (a test
// checks they match what structops-gen writes today); callbacks.go is the
// hand-written Reno. Run it (as root):
//
//	go run ./examples/tcpreno/tcpcongestionops/loader
//	sysctl net.ipv4.tcp_congestion_control=goreno   # or setsockopt(TCP_CONGESTION, "goreno")
package tcpreno

//go:generate go run ../../cmd/structops-gen --btf /sys/kernel/btf/vmlinux --ops tcp_congestion_ops --set name=goreno -o .
