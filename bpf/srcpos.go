package bpf

// Positions in the user's Go source: Build calls the callback functions,
// turns a misused sasm helper into an error and records each program's
// function; refusedAt maps the instruction a verifier refused back to the
// Go line that built it.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
)

// Build calls the function of each callback (from callbacks.go, by member
// name) and returns the programs by member name, for Load.
//
// A helper of package asm (sasm) called wrongly panics with a
// *sasm.MisuseError; Build recovers it into an error naming the user's line
// and the callback ("callbacks.go:42: test_2: argument 5 out of range (2
// arguments)"), for every callback at once. Other panics are not Build's
// to handle and propagate.
//
// Every instruction keeps the position sasm recorded where the user's code
// called the helper that built it; Build also records the callback
// function's own position, which stands for the instructions built with
// plain cilium/ebpf/asm, and gives each instruction a Source (the BTF line
// info the verifier prints as "; callbacks.go:42 ..." in its log).
func Build(callbacks map[string]func() asm.Instructions) (map[string]asm.Instructions, error) {
	progs := make(map[string]asm.Instructions, len(callbacks))
	var errs []error
	for _, name := range sortedKeys(callbacks) {
		insns, err := build(name, callbacks[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		progs[name] = insns
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return progs, nil
}

// CallPrograms calls a function that builds all programs at once (a
// hand-written program table; the generated Programs uses Build), turning a *sasm.MisuseError panic into the error
// (it names the user's line; the callback when the helper knew it). Build
// does more: the callbacks' own positions and every misuse at once.
func CallPrograms(programs func() map[string]asm.Instructions) (progs map[string]asm.Instructions, err error) {
	defer func() {
		if me := recoverMisuse(recover()); me != nil {
			progs, err = nil, me
		}
	}()
	return programs(), nil
}

// recoverMisuse returns the *sasm.MisuseError a recovered panic value is,
// nil for none, and panics again with any other value.
func recoverMisuse(r any) *sasm.MisuseError {
	if r == nil {
		return nil
	}
	if err, ok := r.(error); ok {
		var me *sasm.MisuseError
		if errors.As(err, &me) {
			return me
		}
	}
	panic(r)
}

// funcMeta is the Metadata key, on a program's first instruction, of the
// position of the callback function that built the program.
type funcMeta struct{}

// build calls one callback's function.
func build(name string, fn func() asm.Instructions) (insns asm.Instructions, err error) {
	fpos := funcPos(fn)
	defer func() {
		if me := recoverMisuse(recover()); me != nil {
			e := *me
			if e.Callback == "" {
				e.Callback = name
			}
			insns, err = nil, &e
		}
	}()
	if fn == nil {
		return nil, fmt.Errorf("callback %s: no function", name)
	}
	insns = fn()
	if len(insns) == 0 {
		return nil, fmt.Errorf("%s: %s: %s returned no instructions", fpos, name, fpos.Func)
	}
	insns = append(asm.Instructions(nil), insns...)
	insns[0].Metadata.Set(funcMeta{}, fpos)
	addSources(name, insns, fpos)
	return insns, nil
}

// funcPos is the position of a function's declaration.
func funcPos(fn func() asm.Instructions) sasm.Pos {
	if fn == nil {
		return sasm.Pos{}
	}
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return sasm.Pos{}
	}
	file, line := f.FileLine(f.Entry())
	return sasm.Pos{File: file, Line: line, Func: sasm.FuncName(f.Name())}
}

// addSources gives the first instruction of each run built at the same
// Go line a Source: a *btf.Line naming the file and line, with the Go
// source line as its text when the file is readable here (else the
// callback and function), which the verifier prints as "; TEXT @
// FILE:LINE" before the instruction. The first instruction always gets one
// (the kernel wants line info at the start of every function). An
// instruction that already has a Source keeps it.
func addSources(name string, insns asm.Instructions, fpos sasm.Pos) {
	files := map[string][]string{}
	var prev sasm.Pos
	for i := range insns {
		p, ok := sasm.PosOf(insns[i])
		if !ok {
			p = fpos
		}
		if insns[i].Source() != nil || !p.IsValid() {
			prev = sasm.Pos{}
			continue
		}
		if i > 0 && p.File == prev.File && p.Line == prev.Line {
			continue
		}
		prev = p
		text := sourceLine(files, p)
		if text == "" {
			text = name + " (" + p.Func + ")"
		}
		if l, err := goLine(p, text); err == nil {
			insns[i] = insns[i].WithSource(l)
		}
	}
}

// sourceLine returns line p.Line of p.File trimmed, "" if unreadable.
func sourceLine(files map[string][]string, p sasm.Pos) string {
	lines, ok := files[p.File]
	if !ok {
		if data, err := os.ReadFile(p.File); err == nil {
			lines = strings.Split(string(data), "\n")
		}
		files[p.File] = lines
	}
	if p.Line < 1 || p.Line > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[p.Line-1])
}

// goLine makes the *btf.Line of a Go position. cilium/ebpf creates lines
// only from BTF, so this goes through a minimal BTF blob holding the two
// strings and one line info record (btf.LoadLineInfos). A plain
// fmt.Stringer Source would do for the text, but gives every line the
// same empty file and line 0, and the verifier prints a line only when the
// file or line number changes. (A btf.NewLine(file, text, line, col) in
// cilium/ebpf would remove this detour.)
func goLine(p sasm.Pos, text string) (*btf.Line, error) {
	strs := "\x00" + p.File + "\x00" + text + "\x00"
	var blob bytes.Buffer
	hdr := struct {
		Magic                            uint16
		Version, Flags                   uint8
		HdrLen, TypeOff, TypeLen, StrOff uint32
		StrLen                           uint32
	}{0xeB9F, 1, 0, 24, 0, 0, 0, uint32(len(strs))}
	if err := binary.Write(&blob, binary.NativeEndian, hdr); err != nil {
		return nil, err
	}
	blob.WriteString(strs)
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(blob.Bytes()))
	if err != nil {
		return nil, err
	}
	var rec bytes.Buffer
	li := [4]uint32{0, 1, uint32(2 + len(p.File)), uint32(p.Line) << 10}
	if err := binary.Write(&rec, binary.NativeEndian, li); err != nil {
		return nil, err
	}
	lis, err := btf.LoadLineInfos(&rec, binary.NativeEndian, 1, spec)
	if err != nil || len(lis) != 1 {
		return nil, fmt.Errorf("line info of %s: %v", p, err)
	}
	return lis[0].Line, nil
}

// insnLine matches an instruction line of a verifier log: "12: (85) call
// bpf_trace_printk#6".
var insnLine = regexp.MustCompile(`^([0-9]+): \([0-9a-f]{2}\) (.*)$`)

// refusedAt names the Go line that built the instruction the verifier
// refused (the last instruction of its log), followed by a newline, or ""
// if the error or the log does not say which. The log's indices count
// 8-byte slots (a 64-bit immediate load takes two), mapped here to the
// program's instructions.
func refusedAt(spec *ebpf.CollectionSpec, err error, log []string) string {
	var prog *ebpf.ProgramSpec
	var name string
	for _, n := range sortedKeys(spec.Programs) {
		if strings.HasPrefix(err.Error(), "program "+n+":") {
			prog, name = spec.Programs[n], n
		}
	}
	if prog == nil {
		return ""
	}
	slot, text := -1, ""
	for i := len(log) - 1; i >= 0 && slot < 0; i-- {
		if m := insnLine.FindStringSubmatch(strings.TrimSpace(log[i])); m != nil {
			slot, _ = strconv.Atoi(m[1])
			text = m[2]
		}
	}
	if slot < 0 {
		return ""
	}
	return describeInsn(name, prog.Instructions, slot, text) + "\n"
}

// describeInsn says where the instruction at a slot was built.
func describeInsn(name string, insns asm.Instructions, slot int, text string) string {
	idx := -1
	iter := insns.Iterate()
	for iter.Next() {
		if int(iter.Offset) == slot {
			idx = iter.Index
			break
		}
	}
	what := fmt.Sprintf("%s: refused instruction %d: %s", name, slot, text)
	if idx < 0 {
		return what
	}
	if p, ok := sasm.PosOf(insns[idx]); ok {
		return fmt.Sprintf("%s: %s", p, what)
	}
	// plain cilium/ebpf/asm: the callback function, and the helper calls
	// around the instruction in the same file
	fpos, _ := insns[0].Metadata.Get(funcMeta{}).(sasm.Pos)
	var before, after sasm.Pos
	for i := idx - 1; i >= 0 && !before.IsValid(); i-- {
		before, _ = sasm.PosOf(insns[i])
	}
	for i := idx + 1; i < len(insns) && !after.IsValid(); i++ {
		after, _ = sasm.PosOf(insns[i])
	}
	var near []string
	if before.IsValid() && (!fpos.IsValid() || before.File == fpos.File) {
		near = append(near, fmt.Sprintf("after line %d", before.Line))
	}
	if after.IsValid() && (!fpos.IsValid() || after.File == fpos.File) {
		near = append(near, fmt.Sprintf("before line %d", after.Line))
	}
	where := "built with cilium/ebpf/asm"
	if len(near) > 0 {
		where += ", " + strings.Join(near, " and ")
	}
	switch {
	case fpos.IsValid():
		return fmt.Sprintf("%s: %s (in %s, %s)", fpos, what, fpos.Func, where)
	case before.IsValid():
		return fmt.Sprintf("%s: %s (%s)", sasm.Pos{File: before.File, Line: before.Line}, what, where)
	}
	return what
}
