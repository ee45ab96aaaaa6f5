// Package builtin is the built-in spec: the tutorial's struct
// bpf_testmod_ops, which needs no file, no kernel and no BTF.
package builtin

import "github.com/structops/structops-gen/gen/model"

// OpsName is the ops type of the built-in spec.
const OpsName = "bpf_testmod_ops"

// Header is the built-in spec as C, exactly as a header spec would declare
// it. Ops is its model; a test keeps the two in agreement.
const Header = `struct bpf_testmod_ops {
	int (*test_1)(void);
	int (*test_2)(int a, int b);
	int (*test_3)(const char *buf, int len);
};
`

var (
	cInt     = model.Type{Kind: model.Int, Size: 4, Signed: true, C: "int"}
	cCharPtr = model.Type{Kind: model.CharPtr, Size: 8, C: "const char *"}
)

// Ops returns the model of the built-in spec, the tutorial's: its module
// keeps the tutorial's trigger text and its programs the tutorial's bodies.
func Ops() *model.Ops {
	fn := func(name string, off int, params ...model.Param) model.Member {
		return model.Member{Name: name, Offset: off, Size: 8, Func: &model.Func{Return: cInt, Params: params}}
	}
	return &model.Ops{
		Name: OpsName,
		Size: 24,
		Members: []model.Member{
			fn("test_1", 0),
			fn("test_2", 8, model.Param{Name: "a", Type: cInt}, model.Param{Name: "b", Type: cInt}),
			fn("test_3", 16, model.Param{Name: "buf", Type: cCharPtr}, model.Param{Name: "len", Type: cInt}),
		},
		Source:   "built-in spec",
		Tutorial: true,
	}
}
