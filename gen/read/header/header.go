// Package header is the C header spec reader: it reads a C header into a
// model of the struct_ops type it declares.
//
// Parse runs modernc.org/cc/v4 (a C99 preprocessor, parser and type
// checker written in Go) over the header with a hand-built linux/amd64
// configuration: no host compiler, no host headers, no files are read. Layout
// (sizes, offsets) comes from cc/v4's x86-64 LP64 ABI tables.
//
// Includes: the kernel integer typedefs (u8..u64, s8..s64, __u8..__s64,
// int8_t..uint64_t, bool), the common kernel typedefs (size_t, loff_t,
// pid_t, gfp_t, ...), a few kernel structs and macros (HZ, BIT, _BITUL)
// are predefined by a prelude (prelude.go), so a spec needs no #include.
// A system include (#include <...>) is served from memory as an empty
// file, so `#include <linux/types.h>` and friends are accepted and
// ignored; a quoted include (#include "x.h") is read from the including
// file's directory or an include directory (Options.IncludeDirs). When a header that Parse does not know was
// ignored and the parse then fails, the error says so.
package header

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"modernc.org/cc/v4"

	"github.com/structops/structops-gen/gen/model"
)

const (
	// maxHeaderBytes bounds the input; a spec is a few kilobytes.
	maxHeaderBytes = 1 << 20
	// hdrExpansionLimit bounds macro expansion work (see cc.Config).
	hdrExpansionLimit = 1 << 17
)

// hdrEndName and hdrEndSentinel form the source parsed after the user's
// header (see Parse).
const (
	hdrEndName     = "<structops-end>"
	hdrEndSentinel = "int __structops_end;\n"
)

// hdrSysDir is the in-memory directory that serves system includes.
const hdrSysDir = "/structops-sysinclude"

// Parse reads the C header src (named filename in positions and
// messages) and returns the model of the struct_ops type opsName declared in
// it. With opsName == "" the header must declare exactly one ops struct (a
// struct whose members are all function pointers), or exactly one struct.
//
// Every error is a *model.Error: "file:line:col: member NAME: problem: fix".
func Parse(filename string, src []byte, opsName string) (ops *model.Ops, err error) {
	return ParseOpts(filename, src, opsName, Options{})
}

// Options configure ParseOpts.
type Options struct {
	// IncludeDirs are searched for a quoted #include after the directory
	// of the file that includes it (-I DIR).
	IncludeDirs []string
}

// ParseOpts is Parse with options.
func ParseOpts(filename string, src []byte, opsName string, opts Options) (ops *model.Ops, err error) {
	if filename == "" {
		filename = "<header>"
	}
	// locate explains a panic of cc/v4 where it knows the cause (set once
	// the configuration exists).
	var locate func() error
	defer func() {
		if r := recover(); r != nil {
			ops = nil
			if locate != nil {
				if err = hdrLocatePanic(locate); err != nil {
					return
				}
			}
			err = &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrSyntax,
				Msg: fmt.Sprintf("internal error in the C front end (%v): simplify the header and report it", r)}
		}
	}()
	if err := hdrCheckText(filename, src); err != nil {
		return nil, err
	}
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	if err := hdrCheckMarkers(filename, src); err != nil {
		return nil, err
	}

	abi, err := cc.NewABI("linux", "amd64")
	if err != nil {
		return nil, &model.Error{Pos: model.Pos{File: filename}, Err: err, Msg: fmt.Sprintf("c front end: %v", err)}
	}
	sys := newHdrFS(filename, opts.IncludeDirs)
	cfg := &cc.Config{
		ABI:             abi,
		FS:              sys,
		FSOnly:          true,
		IncludePaths:    append([]string{""}, sys.dirs...),
		SysIncludePaths: []string{hdrSysDir},
		DefaultSizeT:    cc.ULong,
		DefaultPtrdiffT: cc.Long,
		DefaultWcharT:   cc.Int,
		Header:          true,
		ExpansionLimit:  hdrExpansionLimit,
		// GCC's enum types (unsigned int unless an enumerator is
		// negative), so that layouts match the module's
		UnsignedEnums: true,
	}
	// cc/v4's parser can loop forever when the input ends inside a
	// declarator (e.g. "int (*" at EOF: typeQualifierList retries the EOF
	// token). A separate sentinel source after the user's file keeps EOF out
	// of reach: it starts with a keyword and an identifier, which end those
	// loops, and being its own file no unterminated comment or #if swallows
	// it. The preprocessor can still stop early (include not found), so the
	// parser only runs on input the preprocessor alone accepted.
	// Unknown names get placeholders (recover.go), so that one run
	// reports them all.
	var unknowns []hdrUnknown
	sources := func() []cc.Source {
		return []cc.Source{
			{Name: hdrPreludeName, Value: hdrPrelude},
			{Name: hdrUnknownName, Value: hdrUnknownSource(unknowns)},
			{Name: filename, Value: src},
			{Name: hdrEndName, Value: hdrEndSentinel},
		}
	}
	locate = func() error { return hdrBadParamSpecifiers(filename, src, cfg, sources()) }
	var ast *cc.AST
	var prev error // the error the last placeholder was to get past
	for {
		err := cc.Preprocess(cfg, sources(), io.Discard)
		if err == nil {
			ast, err = cc.Translate(cfg, sources())
		}
		if err == nil {
			break
		}
		if prev != nil && !hdrMovedOn(prev, err) {
			// the guess did not help: the name was not the problem
			unknowns, err = unknowns[:len(unknowns)-1], prev
		} else if u, ok := hdrFindUnknown(err, filename, src, sys, unknowns); ok && len(unknowns) < hdrMaxUnknown {
			unknowns, prev = append(unknowns, u), err
			continue
		}
		errs := append(hdrUnknownErrors(unknowns, sys), hdrSyntaxError(filename, src, err, sys))
		return nil, hdrJoin(errs...)
	}
	errs := hdrUnknownErrors(unknowns, sys)

	st, err := hdrChooseStruct(filename, ast, opsName)
	if err != nil {
		return nil, hdrJoin(append(errs, err)...)
	}
	o, err := hdrBuildOps(filename, abi, st)
	if o == nil {
		return nil, hdrJoin(append(errs, err)...)
	}
	if err != nil {
		errs = append(errs, err)
	}
	if err := hdrCollectTypes(ast, st, o); err != nil {
		errs = append(errs, err)
	}
	if o.Kfuncs, err = hdrKfuncs(filename, src, ast, o); err != nil {
		errs = append(errs, err)
	}
	hdrSpellNames(o)
	names := append([]string{filename}, slices.Sorted(maps.Keys(sys.read))...)
	o.Notes = hdrConfigNotes(names, append([][]byte{src}, sys.included()...)...)
	if hdrUsesHZ(append([][]byte{src}, sys.included()...)...) {
		o.HZ = hdrHZ
	}
	if len(errs) > 0 {
		// the problems of the members that were read too, in this run
		if len(o.Callbacks()) > 0 {
			if err := model.Validate(o); err != nil {
				errs = append(errs, err)
			}
		}
		return nil, hdrJoin(errs...)
	}
	return o, nil
}

// hdrFS serves every system include as an empty file, recording the
// names the prelude does not cover, and quoted includes from the host's
// files below the spec's directory and the include directories only.
type hdrFS struct {
	unknown []string
	// roots are the directories quoted includes may come from: the
	// spec's and dirs, the include directories (-I), cleaned.
	roots, dirs []string
	// read holds the quoted includes read, by path.
	read map[string][]byte
}

func newHdrFS(filename string, includeDirs []string) *hdrFS {
	s := &hdrFS{roots: []string{filepath.Dir(filename)}, read: map[string][]byte{}}
	for _, d := range includeDirs {
		s.dirs = append(s.dirs, filepath.Clean(d))
	}
	s.roots = append(s.roots, s.dirs...)
	return s
}

// included returns the contents of the quoted includes read, by path.
func (s *hdrFS) included() [][]byte {
	var out [][]byte
	for _, p := range slices.Sorted(maps.Keys(s.read)) {
		out = append(out, s.read[p])
	}
	return out
}

func (s *hdrFS) Open(name string) (fs.File, error) {
	rel, ok := strings.CutPrefix(path.Clean(name), hdrSysDir+"/")
	if !ok {
		return s.openQuoted(name)
	}
	if rel == "" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if !hdrKnownIncludes[rel] && !slices.Contains(s.unknown, rel) {
		s.unknown = append(s.unknown, rel)
	}
	return &hdrMemFile{name: path.Base(rel), r: bytes.NewReader(nil)}, nil
}

// openQuoted reads a quoted include from the host, if it is below one of
// the roots.
func (s *hdrFS) openQuoted(name string) (fs.File, error) {
	clean := filepath.Clean(name)
	inside := false
	for _, r := range s.roots {
		if rel, err := filepath.Rel(r, clean); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			inside = true
		}
	}
	if !inside {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	b, ok := s.read[clean]
	if !ok {
		fi, err := os.Stat(clean)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxHeaderBytes {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		if b, err = os.ReadFile(clean); err != nil {
			return nil, err
		}
		s.read[clean] = b
	}
	return &hdrMemFile{name: filepath.Base(clean), r: bytes.NewReader(b)}, nil
}

type hdrMemFile struct {
	name string
	r    *bytes.Reader
}

func (f *hdrMemFile) Stat() (fs.FileInfo, error) { return hdrMemInfo{f.name, f.r.Size()}, nil }
func (f *hdrMemFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *hdrMemFile) Close() error               { return nil }

type hdrMemInfo struct {
	name string
	size int64
}

func (i hdrMemInfo) Name() string       { return i.name }
func (i hdrMemInfo) Size() int64        { return i.size }
func (i hdrMemInfo) Mode() fs.FileMode  { return 0o444 }
func (i hdrMemInfo) ModTime() time.Time { return time.Time{} }
func (i hdrMemInfo) IsDir() bool        { return false }
func (i hdrMemInfo) Sys() any           { return nil }
