package gen

// DefaultOpsName is the ops type of the built-in spec: the tutorial's
// struct bpf_testmod_ops.
const DefaultOpsName = "bpf_testmod_ops"

// DefaultHeader is the built-in spec as C, exactly as a header spec would
// declare it. DefaultOps is its model; a test keeps the two in agreement.
const DefaultHeader = `struct bpf_testmod_ops {
	int (*test_1)(void);
	int (*test_2)(int a, int b);
	int (*test_3)(const char *buf, int len);
};
`

var (
	cInt     = Type{Kind: Int, Size: 4, Signed: true, C: "int"}
	cCharPtr = Type{Kind: CharPtr, Size: 8, C: "const char *"}
)

// DefaultOps returns the model of the built-in spec. It needs no file, no
// kernel and no BTF.
func DefaultOps() *Ops {
	fn := func(name string, off int, params ...Param) Member {
		return Member{Name: name, Offset: off, Size: 8, Func: &Func{Return: cInt, Params: params}}
	}
	return &Ops{
		Name: DefaultOpsName,
		Size: 24,
		Members: []Member{
			fn("test_1", 0),
			fn("test_2", 8, Param{Name: "a", Type: cInt}, Param{Name: "b", Type: cInt}),
			fn("test_3", 16, Param{Name: "buf", Type: cCharPtr}, Param{Name: "len", Type: cInt}),
		},
		Source: "built-in spec",
	}
}

// IsDefault reports whether o is the built-in spec's ABI, whatever it was
// read from: the module then keeps the tutorial's trigger behaviour and the
// programs the tutorial's bodies.
func (o *Ops) IsDefault() bool { return o.Equal(DefaultOps()) == "" }
