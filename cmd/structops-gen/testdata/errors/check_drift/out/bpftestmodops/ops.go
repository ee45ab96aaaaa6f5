package bpftestmodops

// edited by hand
