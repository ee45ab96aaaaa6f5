package bpf

import (
	"fmt"
	"strings"
)

// VerifierError is the verifier's rejection of a callback's program, with
// its log. It unwraps to cilium/ebpf's error (errors.As finds the
// *ebpf.VerifierError).
type VerifierError struct {
	Ops    string   // the struct_ops type
	Member string   // the callback whose program was rejected; "" if unknown
	Cause  error    // what the kernel returned, e.g. EACCES
	Log    []string // the whole verifier log
	// Full: the message shows the whole log (Options.VerifierLog), not
	// only its last lines.
	Full bool
	// At names the Go line that built the refused instruction, ending
	// in a newline ("" when unknown).
	At  string
	err error
}

func (e *VerifierError) Error() string { return e.Message("Options.VerifierLog for all") }

func (e *VerifierError) Unwrap() error { return e.err }

// Truncated reports whether the message shows only the last lines of the
// log.
func (e *VerifierError) Truncated() bool { return !e.Full && len(e.Log) > verifierTail }

// Message is the error's text with more as the pointer to the whole log
// that a truncated log's label carries: a program's caller says how its
// user gets the whole log (Error: "Options.VerifierLog for all").
func (e *VerifierError) Message(more string) string {
	member := "a callback"
	if e.Member != "" {
		member = "callback " + e.Member
	}
	lines, label := e.Log, "verifier log"
	if e.Truncated() {
		lines, label = lines[len(lines)-verifierTail:], "verifier log, last lines ("+more+")"
	}
	return fmt.Sprintf("the verifier rejected %s of %s: %v\n%s%s:\n\t%s", member, e.Ops, e.Cause, e.At, label, strings.Join(lines, "\n\t"))
}
