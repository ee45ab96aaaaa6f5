//go:build !linux

package main

import "testing"

func mountReadOnly(t *testing.T, dir string) {
	t.Skip("read-only bind mounts are a Linux test")
}
