// Command slots checks a module generated with --instances 2 (the golden
// case instances2) through the bpf API inside the test VM; e2e's
// TestInstancesInVM runs it while the generated loader holds slot 0.
//
// It loads B (test_1 returns 43) and C (test_1 returns 44), attaches B and
// expects slot 1 (the loader holds slot 0), expects C's attach to fail with
// "all 2 bpf_testmod_ops slots are taken", checks that "@0 test_1" reaches
// the loader's implementation (42) and "@1 test_1" B's (43), hot-swaps B
// for C in slot 1 with BPF_LINK_UPDATE (slot 1 answers 44, slot 0 still
// 42), swaps back, and detaches. It prints one "slots: ok ..." line per
// check and exits 0, or prints "slots: FAIL ..." and exits 1.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpf/trigger"
	"github.com/structops/structops-gen/gen/testdata/golden/instances2/want/bpftestmodops"
)

func main() {
	if err := run(); err != nil {
		fmt.Printf("slots: FAIL %v\n", err)
		os.Exit(1)
	}
}

// load loads the default programs with test_1 returning v.
func load(v int64) (*bpf.Impl, error) {
	p, err := bpftestmodops.Programs()
	if err != nil {
		return nil, err
	}
	p["test_1"] = bpftestmodops.Test1Sig.RetImm(v)
	return bpf.Load(bpftestmodops.Ops, p, nil)
}

// test1 calls test_1 in slot k and returns the value slot k reports.
func test1(k int) (string, error) {
	path := trigger.Path(bpftestmodops.Ops.Module)
	if err := os.WriteFile(path, fmt.Appendf(nil, "@%d test_1", k), 0); err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	prefix := "test_1 "
	if k > 0 {
		prefix = fmt.Sprintf("@%d test_1 ", k)
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(ln, prefix); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s has no %q line: %q", path, prefix, b)
}

// expect checks that slot k's test_1 answers want.
func expect(what string, k int, want string) error {
	got, err := test1(k)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if got != want {
		return fmt.Errorf("%s: slot %d's test_1 returned %s, want %s", what, k, got, want)
	}
	fmt.Printf("slots: ok %s: slot %d returns %s\n", what, k, got)
	return nil
}

// expectSlot checks that impl is attached in slot want.
func expectSlot(what string, impl *bpf.Impl, want int) error {
	k, err := impl.Slot()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if k != want {
		return fmt.Errorf("%s: in slot %d, want %d", what, k, want)
	}
	fmt.Printf("slots: ok %s: slot %d\n", what, k)
	return nil
}

func run() error {
	b, err := load(43)
	if err != nil {
		return err
	}
	defer b.Close()
	c, err := load(44)
	if err != nil {
		return err
	}
	defer c.Close()

	if err := b.Attach(); err != nil {
		return fmt.Errorf("attach B: %w", err)
	}
	if err := expectSlot("B attached", b, 1); err != nil {
		return err
	}
	err = c.Attach()
	if err == nil || !strings.Contains(err.Error(), "all 2 bpf_testmod_ops slots are taken") {
		return fmt.Errorf("attach C with both slots taken: got %v, want \"all 2 bpf_testmod_ops slots are taken\"", err)
	}
	fmt.Printf("slots: ok third attach refused: %v\n", err)
	if err := expect("the loader's implementation", 0, "42"); err != nil {
		return err
	}
	if err := expect("B", 1, "43"); err != nil {
		return err
	}

	if err := b.Update(c); err != nil {
		return fmt.Errorf("update B to C: %w", err)
	}
	if err := expectSlot("C after the swap", c, 1); err != nil {
		return err
	}
	if err := expect("C after the swap", 1, "44"); err != nil {
		return err
	}
	if err := expect("slot 0 after the swap in slot 1", 0, "42"); err != nil {
		return err
	}
	if err := c.Update(b); err != nil {
		return fmt.Errorf("update C back to B: %w", err)
	}
	if err := expect("B after swapping back", 1, "43"); err != nil {
		return err
	}
	if err := b.Detach(); err != nil {
		return err
	}
	// nothing in slot 1 any more: the module reports it, the write fails
	if _, err := test1(1); err == nil {
		return fmt.Errorf("test_1 in slot 1 after B detached: the write succeeded")
	}
	fmt.Println("slots: ok slot 1 is free after B detached")
	return nil
}
