package main

import (
	"fmt"
	"strings"
)

// tables are the tables BENCHMARKS.md may hold, by marker name.
var tables = map[string]func(*data) *table{
	"size":         sizeTable,
	"size-tcp":     sizeTCPTable,
	"default-body": defaultBodyTable,
	"maps":         mapsTable,
	"gen":          genTable,
	"loader-host":  loaderHostTable,
	"loader-vm":    loaderVMTable("SpecToVerdict"),
	"e2e":          e2eTable("SpecToVerdict", "build module (kbuild, gcc-12, pahole BTF)"),
	// the second kernel series (Debian 7.3), whose modules build in a chroot
	"loader-vm-series2": loaderVMTable("SpecToVerdictSeries2"),
	"e2e-series2":       e2eTable("SpecToVerdictSeries2", "build module (kbuild in the trixie chroot, gcc-14, pahole BTF)"),
	"kernel-btf-vm":     kernelBTFVMTable,
}

// clang is clang -O2's size of the tutorial's callbacks (Debian clang 14,
// counted with llvm-objdump): a fixed reference, no benchmark runs clang.
var clang = map[string][2]int{"test_1": {5, 6}, "test_2": {10, 11}, "test_3": {65, 69}}

// sizeTable: e2e BenchmarkProgramSize (host) and BenchmarkVerifierInVM (VM).
func sizeTable(d *data) *table {
	t := &table{
		header: []string{"spec", "callback", "insns", "slots", "verified", "clang -O2 insns / slots"},
		keys:   2,
		counts: true,
		sources: []source{
			{bench: "ProgramSize", cols: []string{"insns", "slots"}},
			{bench: "VerifierInVM", cols: []string{"verified"}},
		},
	}
	for _, n := range d.sub("ProgramSize") {
		spec, cb := split2(n)
		insns, _ := d.median(n, "insns")
		slots, _ := d.median(n, "slots")
		ref := blank
		if c, ok := clang[cb]; ok && spec == "default" {
			ref = fmt.Sprintf("%d / %d %s", c[0], c[1], mark(insns <= float64(c[0]) && slots <= float64(c[1])))
		}
		t.rows = append(t.rows, []string{spec, cb, count(insns), count(slots), metric(d, "VerifierInVM/"+spec+"/"+cb, "verified-insns"), ref})
	}
	return t
}

// sizeTCPTable: bpf BenchmarkVerifierStats (host, root).
func sizeTCPTable(d *data) *table {
	t := &table{
		header:  []string{"callback", "insns", "slots", "verified"},
		keys:    1,
		counts:  true,
		sources: []source{{bench: "VerifierStats"}},
	}
	for _, n := range d.sub("VerifierStats") {
		_, cb := split2(n)
		t.rows = append(t.rows, []string{cb, metric(d, n, "insns"), metric(d, n, "slots"), metric(d, n, "verified-insns")})
	}
	return t
}

// defaultBodyTable: the default bodies of e2e BenchmarkProgramSize. A
// run without count-insns (a spec whose bodies count nothing) counts 0.
func defaultBodyTable(d *data) *table {
	t := &table{
		header:  []string{"spec", "callback", "N", "insns", "count", "printk", "insns − count − printk", "N + 2", "over N + 2"},
		keys:    2,
		counts:  true,
		sources: []source{{bench: "ProgramSize"}},
	}
	for _, n := range d.sub("ProgramSize") {
		args, ok := d.median(n, "int-args")
		if !ok {
			continue
		}
		spec, cb := split2(n)
		insns, _ := d.median(n, "insns")
		counting, _ := d.median(n, "count-insns")
		printk, _ := d.median(n, "printk-insns")
		rest := insns - counting - printk
		t.rows = append(t.rows, []string{spec, cb, count(args), count(insns), count(counting), count(printk), count(rest), count(args + 2), fmt.Sprintf("%+.0f", rest-args-2)})
	}
	return t
}

// mapsTable: asm BenchmarkMapSizes, each map helper against clang -O2.
func mapsTable(d *data) *table {
	t := &table{
		header:  []string{"helper", "insns", "slots", "clang -O2 insns"},
		keys:    1,
		counts:  true,
		sources: []source{{bench: "MapSizes"}},
	}
	for _, n := range d.sub("MapSizes") {
		_, h := split2(n)
		ref := blank
		if c, ok := d.median(n, "clang-insns"); ok {
			insns, _ := d.median(n, "insns")
			ref = fmt.Sprintf("%s %s", count(c), mark(insns <= c))
		}
		t.rows = append(t.rows, []string{h, metric(d, n, "insns"), metric(d, n, "slots"), ref})
	}
	return t
}

// genTable: gen BenchmarkDefaultStack, BenchmarkMembers, BenchmarkList and
// cmd/structops-gen BenchmarkProcessDefault, BenchmarkProcessList.
func genTable(d *data) *table {
	t := &table{
		header: []string{"what", "median", ciHeader, "memory", "target"},
		keys:   1,
		sources: []source{
			{bench: "DefaultStack"}, {bench: "Members"}, {bench: "List"},
			{bench: "ProcessDefault"}, {bench: "ProcessList"},
		},
	}
	inMem := func(label, name string, target float64) {
		med, ci := timeCells(d, name, "sec/op")
		tc := blank
		if target > 0 {
			tc = targetCell(d, name, "sec/op", target, "")
		}
		t.rows = append(t.rows, []string{label, med, ci, memCell(d, name), tc})
	}
	inMem("default stack in memory (`Load` + `Render`, every file)", "DefaultStack", 5e-3)
	for _, n := range []int{8, 16, 32, 64} {
		target := 0.0
		if n == 64 {
			target = 20e-3
		}
		inMem(fmt.Sprintf("header spec, %d callbacks (`ParseHeader` + `Render`)", n), fmt.Sprintf("Members/n=%d", n), target)
	}
	// the slope between the medians of 8 and 64 callbacks
	growth := []string{"growth per callback, 8 → 64 (slope of the medians)", "", "", "", blank}
	if a, ok := d.median("Members/n=8", "sec/op"); ok {
		if b, ok := d.median("Members/n=64", "sec/op"); ok {
			growth[1] = format((b-a)/56, "sec/op")
			ba, _ := d.median("Members/n=8", "B/op")
			bb, _ := d.median("Members/n=64", "B/op")
			aa, _ := d.median("Members/n=8", "allocs/op")
			ab, _ := d.median("Members/n=64", "allocs/op")
			growth[2] = "—"
			growth[3] = format((bb-ba)/56, "B/op") + ", " + format((ab-aa)/56, "allocs/op")
		}
	}
	t.rows = append(t.rows, growth)
	inMem("`list` over the running kernel's vmlinux BTF, in process", "List", 0)
	process := func(label, name string, ms, rssMB float64) {
		med, ci := timeCells(d, name, "wall-ms")
		mem, extra := "", ""
		if v, ok := d.median(name, "maxrss-B"); ok { // benchfmt tidies maxrss-MB into bytes
			mem = format(v, "maxrss-B") + " peak RSS"
			if rssMB > 0 {
				extra = fmt.Sprintf("< %s %s", format(rssMB*1e6, "B"), mark(v < rssMB*1e6))
			}
		}
		t.rows = append(t.rows, []string{label, med, ci, mem, targetCell(d, name, "wall-ms", ms*1e-3, extra)})
	}
	process("`structops-gen list --btf /sys/kernel/btf/vmlinux`, process", "ProcessList", 500, 200)
	process("`structops-gen -o DIR` (default spec), process", "ProcessDefault", 100, 0)
	return t
}

// loaderHostTable: bpf BenchmarkLoadAttachDetach and BenchmarkLoadPhases (host, root).
func loaderHostTable(d *data) *table {
	t := &table{
		header:  []string{"phase", "median", ciHeader, "memory"},
		keys:    1,
		sources: []source{{bench: "LoadAttachDetach"}, {bench: "LoadPhases"}},
	}
	row := func(label, name, unit string, mem bool) {
		med, ci := timeCells(d, name, unit)
		m := blank
		if mem {
			m = memCell(d, name)
		}
		t.rows = append(t.rows, []string{label, med, ci, m})
	}
	row("load + attach + detach + close (`BenchmarkLoadAttachDetach`)", "LoadAttachDetach", "sec/op", true)
	row("kernel BTF: decode /sys/kernel/btf/vmlinux + find the value type", "LoadPhases/btf-vmlinux", "sec/op", true)
	row("program loads + struct_ops map create/update (`NewCollection`, BTF warm)", "LoadPhases/collection", "sec/op", true)
	// benchfmt tidies the benchmark's attach-ns and detach-ns into seconds
	row("attach (link create)", "LoadPhases/attach-detach", "attach-sec", false)
	row("detach (link close)", "LoadPhases/attach-detach", "detach-sec", false)
	return t
}

// vmColumns are the two columns a VM table has: the vmrun configuration
// of the results fills one.
var vmColumns = map[string]int{"warm": 1, "cold": 2}

// vmTable builds a table whose rows are ms-valued metrics of bench (a
// BenchmarkSpecToVerdict), in the column of its vmrun.
func vmTable(d *data, bench string, header []string, rows [][2]string, total bool) *table {
	t := &table{header: header, keys: 1, sources: []source{{bench: bench, cols: header[1:]}}}
	col := 1
	if c := vmColumns[d.vmrun[bench]]; c != 0 {
		col = c
	}
	var sum float64
	have := false
	for _, r := range rows {
		cells := []string{r[0], "", ""}
		if v, ok := d.median(bench, r[1]); ok {
			cells[col] = format(v, r[1])
			sum += v
			have = true
		}
		t.rows = append(t.rows, cells)
	}
	if total {
		cells := []string{"**total**", "", ""}
		if have {
			cells[col] = "**" + format(sum, "total-ms") + "**"
		}
		t.rows = append(t.rows, cells)
	}
	return t
}

func loaderVMTable(bench string) func(*data) *table {
	return func(d *data) *table {
		return vmTable(d, bench, []string{"phase in the guest", "warm run", "cold run"}, [][2]string{
			{"load: kernel BTF (vmlinux + bpf_testmod)", "guest-btf-ms"},
			{"load: maps + programs + struct_ops map", "guest-coll-ms"},
			{"attach", "guest-attach-ms"},
			{"trigger (write + read /proc)", "guest-trigger-ms"},
			{"detach", "guest-detach-ms"},
		}, false)
	}
}

func e2eTable(bench, module string) func(*data) *table {
	return func(d *data) *table {
		return vmTable(d, bench, []string{"step", "warm (cached kernel, warm Go cache)", "cold (empty VM cache, Go build and module caches)"}, [][2]string{
			{"fetch kernel (download + extract; 0 when cached)", "fetch-ms"},
			{"generate", "gen-ms"},
			{module, "module-ms"},
			{"build loader (`go build`)", "loader-ms"},
			{"VM: /init build + initramfs + boot + `--once`", "vm-ms"},
		}, true)
	}
}

// kernelBTFVMTable: e2e BenchmarkKernelBTFInVM, btfx's BenchmarkLookup in
// the guest, one column a kernel series. A way the kernel does not offer
// (its sub-benchmark skipped) is "—" when the series ran.
func kernelBTFVMTable(d *data) *table {
	series := []string{"6.12", "7.3"}
	t := &table{header: []string{"vmlinux BTF in the guest (TCG)", "Debian 6.12", "Debian 7.3"}, keys: 1,
		sources: []source{{bench: "KernelBTFInVM", cols: []string{"Debian 6.12", "Debian 7.3"}}}}
	phases := [][2]string{{"open", "get the bytes"}, {"index-only", "+ index every type"}, {"names", "+ find 3 types by name"}}
	paged := [][2]string{{"open", "read the header"}, {"follow-2000", "+ follow types 1–2,000"}}
	for _, src := range [][2]string{{"mmap", "mmap the sysfs file"}, {"paged", "read the sysfs file paged"}, {"bpf-object", "copy the BTF object (one call)"}, {"read", "read the sysfs file"}} {
		phases := phases
		if src[0] == "paged" {
			phases = paged
		}
		for _, ph := range phases {
			row := []string{src[1] + ": " + ph[1]}
			for _, s := range series {
				cell := ""
				if v, ok := d.median("KernelBTFInVM/"+s+"/Lookup/"+src[0]+"/"+ph[0], "guest-ms"); ok {
					cell = format(v, "guest-ms")
				} else if len(d.sub("KernelBTFInVM/"+s)) > 0 {
					cell = "—"
				}
				row = append(row, cell)
			}
			t.rows = append(t.rows, row)
		}
	}
	return t
}

// ---- cells -------------------------------------------------------------

// split2 splits "Bench/a/b" into a and b ("Bench/b" into "" and b).
func split2(name string) (string, string) {
	parts := strings.Split(name, "/")
	switch len(parts) {
	case 1:
		return "", parts[0]
	case 2:
		return "", parts[1]
	}
	return parts[1], strings.Join(parts[2:], "/")
}

// mark is ✔ for a target met, ✘ for one missed.
func mark(met bool) string {
	if met {
		return "✔"
	}
	return "✘"
}

// blank is a cell left empty on purpose (an empty string is a value this
// run did not measure).
const blank = "\x01"

func metric(d *data, name, unit string) string {
	if v, ok := d.median(name, unit); ok {
		return count(v)
	}
	return ""
}

// timeCells are benchstat's median and confidence interval ("± 3%"; "± ∞"
// when there are too few runs for one) of a time in unit.
func timeCells(d *data, name, unit string) (string, string) {
	s, _, ok := d.summary(name, unit)
	if !ok {
		return "", ""
	}
	return format(s.Center, unit), "± " + s.PctRangeString()
}

func memCell(d *data, name string) string {
	b, ok := d.median(name, "B/op")
	if !ok {
		return ""
	}
	a, _ := d.median(name, "allocs/op")
	return format(b, "B/op") + ", " + format(a, "allocs/op")
}

// targetCell is "< target ✔" or "< target ✘" for the median against
// target seconds (none if target is 0), with extra appended.
func targetCell(d *data, name, unit string, target float64, extra string) string {
	var parts []string
	if target > 0 {
		med, ok := d.median(name, unit)
		if !ok {
			return ""
		}
		if strings.HasSuffix(unit, "-ms") {
			med /= 1e3
		}
		parts = append(parts, "< "+format(target, "sec")+" "+mark(med < target))
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	return strings.Join(parts, ", ")
}
