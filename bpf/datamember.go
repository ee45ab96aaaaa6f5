package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DataMember describes a data member of a generated module's ops struct
// that the loader sets (the module's init_member copies it into the
// kernel's copy): an integer, a bool or a char array holding a string.
type DataMember struct {
	// Signed: an integer read as signed (its Member.Size bytes hold the
	// little-endian value).
	Signed bool
	// Bool: 0 or 1.
	Bool bool
	// String: a char array holding a NUL-terminated string.
	String bool
}

// ParseData parses one data member assignment "member=value" against the
// member's description: an integer (decimal or 0x-hex, in its width's
// range), a bool (0/1, true/false) or a string that fits with its NUL. It
// returns the member's name and bytes as the kernel reads them.
func (ops *Ops) ParseData(assign string) (string, []byte, error) {
	name, value, ok := strings.Cut(assign, "=")
	if !ok || name == "" {
		return "", nil, fmt.Errorf("--set %q: want member=value, e.g. --set %s", assign, ops.setExample())
	}
	m, ok := ops.member(name)
	switch {
	case !ok || m.Func:
		return "", nil, fmt.Errorf("--set %s: struct %s has no data member %s; settable: %s", name, ops.Name, name, ops.settable())
	case m.KernelOwned != "":
		return "", nil, fmt.Errorf("--set %s: %s.%s is set by the kernel, not the loader: %s; settable: %s", name, ops.Name, name, m.KernelOwned, ops.settable())
	case m.Data == nil:
		return "", nil, fmt.Errorf("--set %s: %s.%s is not described for the loader: regenerate with --set %s=VALUE", name, ops.Name, name, name)
	}
	d := m.Data
	switch {
	case d.String:
		if len(value) >= m.Size {
			return "", nil, fmt.Errorf("--set %s: %q is %d bytes; char %s[%d] holds at most %d and its NUL", name, value, len(value), name, m.Size, m.Size-1)
		}
		if strings.IndexByte(value, 0) >= 0 {
			return "", nil, fmt.Errorf("--set %s: the value holds a NUL byte", name)
		}
		return name, []byte(value), nil
	case d.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return "", nil, fmt.Errorf("--set %s=%s: not a bool (0/1, true/false)", name, value)
		}
		if b {
			return name, []byte{1}, nil
		}
		return name, []byte{0}, nil
	}
	bits := 8 * m.Size
	var u uint64
	if d.Signed {
		v, err := strconv.ParseInt(value, 0, bits)
		if err != nil {
			return "", nil, fmt.Errorf("--set %s=%s: not an s%d: %w", name, value, bits, errors.Unwrap(err))
		}
		u = uint64(v)
	} else {
		v, err := strconv.ParseUint(value, 0, bits)
		if err != nil {
			return "", nil, fmt.Errorf("--set %s=%s: not a u%d (0 to %d): %w", name, value, bits, ^uint64(0)>>(64-bits), errors.Unwrap(err))
		}
		u = v
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, u)
	return name, b[:m.Size], nil
}

// settable lists the data members the loader sets.
func (ops *Ops) settable() string {
	var out []string
	for _, m := range ops.Members {
		if m.Data != nil {
			out = append(out, m.Name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func (ops *Ops) setExample() string {
	for _, m := range ops.Members {
		if m.Data != nil {
			if m.Data.String {
				return m.Name + "=text"
			}
			return m.Name + "=1"
		}
	}
	return "name=value"
}

// checkOwnedData refuses data for the members only the kernel sets.
func (ops *Ops) checkOwnedData(data map[string][]byte) error {
	for _, name := range sortedKeys(data) {
		if m, ok := ops.member(name); ok && m.KernelOwned != "" {
			return fmt.Errorf("data for %s.%s: the kernel sets it and it must stay zero (%s): remove %q from Ops.Data and Options.Data",
				ops.Name, name, m.KernelOwned, name)
		}
	}
	return nil
}
