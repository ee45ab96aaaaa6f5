package bpftestmodops

// my edits
