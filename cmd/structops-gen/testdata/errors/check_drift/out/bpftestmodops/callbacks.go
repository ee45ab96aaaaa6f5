package bpftestmodops

// my callbacks: not drift
