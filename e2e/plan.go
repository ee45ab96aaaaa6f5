// Package e2e runs generated stacks for real: it builds the modules and
// loaders of the golden specs, boots them in a VM (package vm) and runs a
// plan of steps there with the guest runner in e2e/guest.
package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/structops/structops-gen/gen/model"
)

// Step is one action of the guest runner. Exactly one of Argv, Stop,
// Write, Stat, Rmmod, WaitKmsg and Trace is set.
type Step struct {
	Name string `json:"name"`
	// Argv runs a command; its exit status must be WantExit and its stdout
	// lines must equal WantStdout (when not nil); Stderr must contain each
	// of WantStderr.
	Argv       []string `json:"argv,omitempty"`
	WantExit   int      `json:"want_exit,omitempty"`
	WantStdout []string `json:"want_stdout,omitempty"`
	WantStderr []string `json:"want_stderr,omitempty"`
	// KillOn, with Argv: SIGKILL the command once its stderr contains this,
	// after running While (if set) while the command still runs.
	KillOn string `json:"kill_on,omitempty"`
	While  *Step  `json:"while,omitempty"`
	// Uid, with Argv: run the command as this user and group id (0: root).
	Uid int `json:"uid,omitempty"`
	// Background, with Argv: start the command as this name and go on once
	// its stderr contains Ready (within 30 s), leaving it running. Stop
	// (with the name) sends it SIGTERM and checks its exit and output as
	// for Argv.
	Background string `json:"background,omitempty"`
	Ready      string `json:"ready,omitempty"`
	Stop       string `json:"stop,omitempty"`
	// Write writes Data to this file (the write must fail with WantErrno,
	// or succeed for ""), then reads the file: it must hold each of
	// WantLines as a whole line, and no line starting with one of
	// NotLines.
	Write     string   `json:"write,omitempty"`
	Data      string   `json:"data,omitempty"`
	WantLines []string `json:"want_lines,omitempty"`
	NotLines  []string `json:"not_lines,omitempty"`
	// AnyResult, with Write: any errno is fine (the kernel log is checked
	// afterwards: malformed lines must not crash the module).
	AnyResult bool `json:"any_result,omitempty"`
	// Stat checks that a file's permission bits are WantMode (e.g. "0600").
	Stat     string `json:"stat,omitempty"`
	WantMode string `json:"want_mode,omitempty"`
	// Rmmod unloads a module; WantErrno ("" for success, e.g. "EBUSY").
	Rmmod     string `json:"rmmod,omitempty"`
	WantErrno string `json:"want_errno,omitempty"`
	// WaitKmsg waits (up to 10 s) until the kernel log holds Count lines
	// containing this text.
	WaitKmsg string `json:"wait_kmsg,omitempty"`
	Count    int    `json:"count,omitempty"`
	// Trace checks that the BPF trace buffer holds a line containing this.
	Trace string `json:"trace,omitempty"`
}

// Plan is what the guest runner reads from /plan.json.
type Plan struct {
	Steps []Step `json:"steps"`
}

// WriteFile writes the plan as JSON.
func (p Plan) WriteFile(name string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, b, 0o644)
}

// ReadPlan reads a plan written by WriteFile.
func ReadPlan(name string) (Plan, error) {
	var p Plan
	b, err := os.ReadFile(name)
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(b, &p)
}

// Call is one trigger call of a callback with chosen arguments and the value
// the module must report for it.
type Call struct {
	Line string // "<member> <arg> ...", as written to the trigger
	Want string // the module's answer for the member
}

// Calls picks arguments for every callback of o that exercise each width
// and signedness (extreme values, negative numbers) and computes, in Go,
// what the default body returns: the sum of the integer arguments (and,
// for a spec with kfuncs, of their results, see Expect) converted to the
// return type.
func Calls(o *model.Ops) []Call {
	var calls []Call
	for i, m := range o.Callbacks() {
		words := []string{m.Name}
		var ints []uint64
		for j, p := range m.Func.Params {
			switch p.Type.Kind {
			case model.Int:
				v := pick(p.Type, i+j)
				ints = append(ints, uint64(v))
				words = append(words, format(p.Type, v))
			case model.Bool:
				v := int64((i + j) % 2)
				ints = append(ints, uint64(v))
				words = append(words, strconv.FormatInt(v, 10))
			case model.CharPtr:
				words = append(words, fmt.Sprintf("s%d", j))
			case model.StructPtr, model.Opaque:
				d := p.Type.GroupStruct()
				if d == nil {
					continue
				}
				// a context struct: a value per integer field
				var vs []string
				for q, l := range model.Leaves(d, true) {
					if l.Type.Kind == model.Bool {
						vs = append(vs, strconv.Itoa((i+j+q)%2))
					} else {
						vs = append(vs, format(l.Type, pick(l.Type, i+j+q)))
					}
				}
				words = append(words, "{"+strings.Join(vs, " ")+"}")
			}
		}
		line := strings.Join(words, " ")
		_, want, err := Expect(o, line)
		if err != nil {
			panic(err) // the line is made here: a bug of Calls
		}
		calls = append(calls, Call{Line: line, Want: want})
	}
	return calls
}

// Expect computes, in Go, what the default body of the callback a trigger
// line calls returns, as the module prints it: the line's integer and bool
// words summed and converted to the return type. Words are decimal or
// 0x-hex; a const char * takes one word (the rest of the line when it is
// the last parameter); struct pointers take none.
func Expect(o *model.Ops, line string) (member, want string, err error) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return "", "", fmt.Errorf("empty trigger line")
	}
	var m *model.Member
	for _, c := range o.Callbacks() {
		if c.Name == words[0] {
			m = &c
		}
	}
	if m == nil {
		return "", "", fmt.Errorf("%q: struct %s has no callback %s", line, o.Name, words[0])
	}
	words = words[1:]
	var ints []uint64            // the integer arguments as the program loads them
	groups := map[int][]uint64{} // the context structs' fields, by parameter
	for j, p := range m.Func.Params {
		switch {
		case p.Type.Kind == model.Int, p.Type.Kind == model.Bool, p.Type.Kind == model.CharPtr:
		case p.Type.GroupStruct() != nil:
			g, rest, err := group(p, words)
			if err != nil {
				return "", "", fmt.Errorf("%q: %w", line, err)
			}
			groups[j], words = g, rest
			continue
		default:
			continue
		}
		if len(words) == 0 {
			return "", "", fmt.Errorf("%q: no word for parameter %s", line, p.Name)
		}
		w := words[0]
		words = words[1:]
		if p.Type.Kind == model.CharPtr {
			if j == len(m.Func.Params)-1 {
				words = nil
			}
			continue
		}
		neg := strings.HasPrefix(w, "-")
		v, err := strconv.ParseUint(strings.TrimPrefix(w, "-"), 0, 64)
		if err != nil {
			return "", "", fmt.Errorf("%q: parameter %s: %w", line, p.Name, err)
		}
		if neg {
			v = -v
		}
		if p.Type.Kind == model.Bool && v != 0 {
			v = 1
		}
		ints = append(ints, v)
	}
	sum := cSum(m.Func, ints, groups)
	// the default body calls each integer kfunc with the leading integer
	// arguments (0 where there are fewer) and adds its result: the
	// generated kfunc body's sum of its arguments plus one
	for _, k := range o.KfuncCallees() {
		res := uint64(1)
		for j, p := range k.Func.Params {
			var v uint64
			if j < len(ints) {
				v = ints[j]
			}
			v &= mask(p.Type.Size)
			if p.Type.Kind == model.Bool && v != 0 {
				v = 1
			}
			if p.Type.Signed && p.Type.Size < 8 && v>>(uint(p.Type.Size)*8-1) != 0 {
				v |= ^mask(p.Type.Size)
			}
			res += v
		}
		switch {
		case k.Func.Return.Kind == model.Bool:
			res = map[bool]uint64{true: 1, false: 0}[res&0xff != 0]
		case k.Func.Return.Kind == model.Int:
			// the return register as x86-64 leaves it: 32-bit results
			// zero-extended
			res &= mask(k.Func.Return.Size)
		}
		sum += res
	}
	return m.Name, convert(m.Func.Return, sum), nil
}

// cSum is `a + b + ...` over the integer arguments ints (each its value
// extended to 64 bits), then the context structs' fields (groups, by
// parameter: the values written, missing ones 0), under C's usual
// arithmetic conversions, in the steps model.SumSteps gives: a 32-bit sum
// wraps at 32 bits. The result
// is the sum's value as 64 bits (a 32-bit int sign-extended).
func cSum(f *model.Func, ints []uint64, groups map[int][]uint64) uint64 {
	var acc uint64
	q, in := 0, -1 // the field's index in the group of parameter in
	for k, st := range model.SumSteps(f) {
		var v uint64
		if st.Struct == "" {
			v = ints[k]
		} else {
			if st.Param != in {
				q, in = 0, st.Param
			}
			if g := groups[st.Param]; q < len(g) {
				v = g[q] // fewer values leave the other fields 0
			}
			q++
		}
		if k == 0 {
			acc = v
		} else {
			acc += v
		}
		if st.Acc.Bits == 32 {
			if st.Acc.Signed {
				acc = uint64(int64(int32(uint32(acc))))
			} else {
				acc = uint64(uint32(acc))
			}
		}
	}
	return acc
}

// group reads the "{v1 v2 ...}" group of context struct parameter p off
// words: each value as the program loads the field (extended by its
// signedness, a bool 0 or 1).
func group(p model.Param, words []string) ([]uint64, []string, error) {
	if len(words) == 0 || !strings.HasPrefix(words[0], "{") {
		return nil, nil, fmt.Errorf("parameter %s: want {v1 v2 ...}", p.Name)
	}
	leaves := model.Leaves(p.Type.GroupStruct(), true)
	var out []uint64
	words[0] = words[0][1:]
	for len(words) > 0 {
		w := words[0]
		words = words[1:]
		last := strings.HasSuffix(w, "}")
		w = strings.TrimSuffix(w, "}")
		if w != "" {
			if len(out) == len(leaves) {
				return nil, nil, fmt.Errorf("parameter %s: more values than its %d fields", p.Name, len(leaves))
			}
			neg := strings.HasPrefix(w, "-")
			v, err := strconv.ParseUint(strings.TrimPrefix(w, "-"), 0, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("parameter %s: %w", p.Name, err)
			}
			if neg {
				v = -v
			}
			if leaves[len(out)].Type.Kind == model.Bool && v != 0 {
				v = 1
			}
			out = append(out, v)
		}
		if last {
			return out, words, nil
		}
	}
	return nil, nil, fmt.Errorf("parameter %s: missing }", p.Name)
}

// Malformed returns trigger lines that a module must refuse or take
// without crashing: every prefix of each callback's argument list (so each
// parser meets the end of the line), the whole line with extra words, and
// lines that are not calls at all.
func Malformed(o *model.Ops) []string {
	lines := []string{"", " ", "\n", "\t\t", "@", "@1 ", "@x test", "-", "0x", strings.Repeat("x", 300),
		"nosuchmember 1 2"}
	for _, c := range Calls(o) {
		w := strings.Fields(c.Line)
		for k := 1; k < len(w); k++ {
			lines = append(lines, strings.Join(w[:k], " "), strings.Join(w[:k], " ")+" ")
		}
		lines = append(lines, c.Line+" extra words 1 2", w[0]+" - 0x -0x --1 99999999999999999999999",
			w[0]+strings.Repeat(" 1", 40))
	}
	return lines
}

// pick chooses a value of type t: alternately the extreme (min for signed,
// max for unsigned), a small negative or mid value, and one with all bytes
// set.
func pick(t model.Type, k int) int64 {
	bits := uint(t.Size * 8)
	switch k % 3 {
	case 0:
		if t.Signed {
			return -1 << (bits - 1)
		}
		if bits == 64 {
			return -1 // 0xffff_ffff_ffff_ffff as u64
		}
		return 1<<bits - 1
	case 1:
		if t.Signed {
			return -int64(k + 2)
		}
		return int64(k + 2)
	}
	if t.Signed {
		if bits == 64 {
			return math.MaxInt64
		}
		return 1<<(bits-1) - 1
	}
	return 0x5a & (1<<bits - 1)
}

func format(t model.Type, v int64) string {
	if t.Signed {
		return strconv.FormatInt(v, 10)
	}
	return strconv.FormatUint(uint64(v)&mask(t.Size), 10)
}

func mask(size int) uint64 {
	if size >= 8 {
		return math.MaxUint64
	}
	return 1<<(uint(size)*8) - 1
}

// convert renders sum converted to the return type t the way the module
// prints it.
func convert(t model.Type, sum uint64) string {
	switch t.Kind {
	case model.Void:
		return "void"
	case model.Bool:
		if sum != 0 {
			return "1"
		}
		return "0"
	case model.Int:
		v := sum & mask(t.Size)
		if t.Signed && t.Size < 8 && v>>(uint(t.Size)*8-1) != 0 {
			return strconv.FormatInt(int64(v|^mask(t.Size)), 10)
		}
		if t.Signed {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatUint(v, 10)
	}
	return "NULL"
}
