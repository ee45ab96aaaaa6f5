// Command vstats runs in the test VM (see e2e.BenchmarkVerifierInVM): with
// every golden module loaded, it loads the programs of each golden spec
// with the verifier's statistics (ebpf.LogLevelStats) and prints, per
// callback,
//
//	VSTATS <case> <callback> insns=<n> slots=<n> processed=<n>
//
// where processed is the "processed N insns" of the verifier log. Nothing
// is attached. It exits 1 if a spec fails to load.
package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/structops/structops-gen/bpf"
	def "github.com/structops/structops-gen/bpftestmodops"
	kn "github.com/structops/structops-gen/gen/testdata/golden/kernel_names/want/knops"
	many "github.com/structops/structops-gen/gen/testdata/golden/manyargs/want/manyargsops"
	widths "github.com/structops/structops-gen/gen/testdata/golden/widths/want/widthsops"
)

// Case is one golden spec.
type Case struct {
	Name  string
	Ops   *bpf.Ops
	Progs func() (map[string]asm.Instructions, error)
}

// Cases are the golden specs, in the order BENCHMARKS.md lists them.
var Cases = []Case{
	{"default", def.Ops, def.Programs},
	{"kernel_names", kn.Ops, kn.Programs},
	{"manyargs", many.Ops, many.Programs},
	{"widths", widths.Ops, widths.Programs},
}

var processed = regexp.MustCompile(`processed (\d+) insns`)

func main() {
	failed := false
	for _, c := range Cases {
		if err := stats(c); err != nil {
			fmt.Printf("VSTATS-FAIL %s: %v\n", c.Name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func stats(c Case) error {
	progs, err := c.Progs()
	if err != nil {
		return err
	}
	spec, err := bpf.Spec(c.Ops, progs, nil)
	if err != nil {
		return err
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelStats}})
	if err != nil {
		return err
	}
	defer coll.Close()
	names := make([]string, 0, len(coll.Programs))
	for n := range coll.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := processed.FindStringSubmatch(coll.Programs[n].VerifierLog)
		if m == nil {
			return fmt.Errorf("%s: no 'processed N insns' in the verifier log %q", n, coll.Programs[n].VerifierLog)
		}
		insns := spec.Programs[n].Instructions
		fmt.Printf("VSTATS %s %s insns=%d slots=%d processed=%s\n", c.Name, n, len(insns), insns.Size()/8, m[1])
	}
	return nil
}
