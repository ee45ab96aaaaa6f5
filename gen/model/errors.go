package model

import (
	"errors"
	"strings"
)

// Kinds of spec errors, for errors.Is. Every problem a reader or Validate
// reports is an *Error wrapping one of them (or an underlying cause).
var (
	ErrNotCHeader  = errors.New("not a C header")
	ErrSyntax      = errors.New("c syntax error")
	ErrNoOps       = errors.New("no ops struct")
	ErrUnsupported = errors.New("unsupported in a struct_ops spec")
	ErrLimit       = errors.New("kernel limit exceeded")
	ErrName        = errors.New("invalid name")
	// ErrInstances: the number of implementations is out of range or not
	// for this type.
	ErrInstances = errors.New("bad number of instances")
	// ErrSet: a data member assignment is malformed or refused.
	ErrSet = errors.New("bad data member assignment")
	// ErrMembers: a callback selection names no callback, or twice.
	ErrMembers = errors.New("bad callback selection")
	// ErrSource: the spec sources are combined wrongly (a header and BTF,
	// a base without BTF, selections without BTF).
	ErrSource = errors.New("bad spec source")
	// ErrKernelRules: a kernel type's selection or data breaks its rules.
	ErrKernelRules = errors.New("kernel rules")
)

// Error is one problem with a spec, located where the spec allows and,
// when it concerns one member of the ops struct, naming it.
type Error struct {
	Pos    Pos
	Member string // "" when the error is not about one member
	Kfunc  string // "" when the error is not about one kfunc
	// Subject names the input the error is about in the library's terms
	// ("2 instances", "data member assignment \"x\""), "" when Pos and
	// Member say it; a command line replaces it with its flag's words.
	Subject string
	// Input is the part of the input Subject names, as given ("2",
	// "name=gocc"), for a command line to name it by its flag.
	Input string
	Msg   string // what is wrong and the fix
	Err   error  // the kind (Err...) or the underlying cause
}

func (e *Error) Error() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if e.Member != "" {
		b.WriteString("member ")
		b.WriteString(e.Member)
		b.WriteString(": ")
	}
	if e.Kfunc != "" {
		b.WriteString("kfunc ")
		b.WriteString(e.Kfunc)
		b.WriteString(": ")
	}
	if e.Subject != "" {
		b.WriteString(e.Subject)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
