package model

// Data members of a new subsystem's ops struct: which the generated
// module's init_member copies from the loader's map value into the
// kernel's copy, and which only the kernel sets (and must be zero in the
// map value: the kernel refuses the map update otherwise).

// DataInit is what the generated module's init_member does with a data
// member.
type DataInit int

// The ways a data member is initialized.
const (
	// DataKernel: the kernel or the module sets it; the loader leaves it
	// zero (init_member returns 0, and the kernel checks it is zero).
	DataKernel DataInit = iota
	// DataCopy: an integer or bool, copied as it is (init_member returns 1).
	DataCopy
	// DataString: a char array holding a NUL-terminated string, copied
	// with strscpy (a value without its NUL is refused with -EINVAL).
	DataString
)

// DataInit says how the generated module initializes data member m and,
// for a member only the kernel sets, why.
func (m *Member) DataInit() (DataInit, string) {
	t := m.Data
	switch {
	case t == nil:
		return DataKernel, "a callback"
	case t.Kind == Int || t.Kind == Bool:
		return DataCopy, ""
	case t.Kind == Array && t.Elem != nil && t.Elem.Kind == Int && t.Elem.Size == 1:
		return DataString, ""
	case t.Kind == StructPtr && t.Struct == "module":
		return DataKernel, "the kernel sets it to the module that owns the map (BPF_MODULE_OWNER)"
	case t.IsPointer():
		return DataKernel, "a pointer: an address from the loader means nothing in the kernel"
	}
	return DataKernel, "the module's own state (" + t.Describe() + "): it starts zeroed"
}

// DataMembers are the data members, in struct order.
func (o *Ops) DataMembers() []Member {
	var out []Member
	for _, m := range o.Members {
		if m.Data != nil {
			out = append(out, m)
		}
	}
	return out
}
