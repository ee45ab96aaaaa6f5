package main

import (
	"testing"

	"github.com/structops/structops-gen/internal/testfs"
)

// mountReadOnly makes dir read-only for the rest of the test, even for
// root (see testfs.MountReadOnly).
func mountReadOnly(t *testing.T, dir string) { testfs.MountReadOnly(t, dir) }
