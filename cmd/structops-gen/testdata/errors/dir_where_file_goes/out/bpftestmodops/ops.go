package bpftestmodops

// an older ops.go
