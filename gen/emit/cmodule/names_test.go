package cmodule

import (
	"fmt"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/model"
)

// TestRenderReadsModelNames: the module's C takes the names the model
// derives (Finish) from the model: renamed on the model, they are renamed
// in every file, and the names the model no longer holds appear nowhere.
func TestRenderReadsModelNames(t *testing.T) {
	u32 := model.Type{Kind: model.Int, Size: 4, C: "u32"}
	ctx := &model.TypeDef{Kind: model.DefStruct, Name: "job_ctx", Size: 4, Fields: []model.FieldDef{{Name: "id", Type: u32}}}
	o := &model.Ops{Name: "job_ops", Size: 8, Types: []*model.TypeDef{ctx}, Members: []model.Member{
		{Name: "run", Size: 8, Func: &model.Func{Return: u32, Params: []model.Param{
			{Name: "n", Type: u32},
			{Name: "p", Type: model.Type{Kind: model.Ptr, Size: 8, C: "void *"}},
			{Name: "g", Ref: true, Type: model.Type{Kind: model.StructPtr, Size: 8, C: "struct cgroup *", Struct: "cgroup"}},
			{Name: "c", Type: model.Type{Kind: model.StructPtr, Size: 8, C: "struct job_ctx *", Struct: "job_ctx", Def: ctx}},
		}}},
	}, Kfuncs: []model.Kfunc{{Name: "job_peek", Func: model.Func{Return: u32, Params: []model.Param{{Name: "q", Type: u32}}}}}}
	o.Finish()
	old := o.C
	oldStub, oldCaller := o.Members[0].CFIStub, o.Members[0].Caller
	params := o.Members[0].Func.Params
	oldLocals := []string{params[1].Local, params[2].Local, params[3].Local}
	c := &o.C
	for i, f := range []*string{&c.Header, &c.Guard, &c.Main, &c.KfuncsSource, &c.Trigger, &c.TriggerOps,
		&c.TriggerWrite, &c.InitMember, &c.Parse, &c.Value, &c.ParseGroup, &c.Other, &c.Slots} {
		*f = fmt.Sprintf("renamed%d", i) // shares no substring with the old name
	}
	c.Param, c.Arg = "struct m_param", "union m_arg"
	c.Objs = []string{"m_objs.o"}
	c.Forwards = []string{"m_fwd"}
	o.Members[0].CFIStub, o.Members[0].Caller = "m_stub", "m_caller"
	params[1].Local, params[2].Local, params[3].Local = "m_buf", "m_cgrp", "m_ctx"

	files, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for path, src := range files {
		all.WriteString(path + "\n" + string(src))
	}
	text := all.String()
	for _, want := range []string{"module/" + c.Header, "module/" + c.Main + ".c", "#ifndef " + c.Guard,
		c.KfuncsSource, c.Trigger + " = proc_create", `"` + c.Trigger + `"`, c.TriggerOps, c.TriggerWrite,
		c.InitMember, c.Parse + "(", c.Value + "(", c.ParseGroup + "(", c.Other + "(", c.Slots + "[",
		c.Param + " {", c.Arg + " {", "m_objs.o", "struct m_fwd;", "m_stub(", "m_caller(", "u64 m_buf[8]", "m_cgrp", "struct job_ctx m_ctx = {}", "m_ctx.id = "} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered module lacks %q, which the model names", want)
		}
	}
	for _, gone := range []string{old.Guard, old.Slots, old.InitMember, old.TriggerWrite, old.Param, old.Arg,
		oldStub, oldCaller, oldLocals[0], oldLocals[1], oldLocals[2], old.Main + ".o", "struct cgroup;"} {
		if strings.Contains(text, gone) {
			t.Errorf("the rendered module has %q, a name the model no longer holds: the emitter derives it", gone)
		}
	}
}
