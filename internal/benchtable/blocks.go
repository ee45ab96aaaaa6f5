package main

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// block is the text between <!-- bench:NAME --> and <!-- /bench:NAME -->.
type block struct {
	name       string
	start, end int // byte offsets of the text between the two marker lines
}

var marker = regexp.MustCompile(`(?m)^<!-- (/?)bench:([a-z0-9-]+) -->[ \t]*$`)

// splitBlocks finds the marker pairs of doc; they must not nest or repeat.
func splitBlocks(doc []byte) ([]block, error) {
	var out []block
	var open *block
	seen := map[string]bool{}
	for _, m := range marker.FindAllSubmatchIndex(doc, -1) {
		closing, name := len(doc[m[2]:m[3]]) > 0, string(doc[m[4]:m[5]])
		line := bytes.Count(doc[:m[0]], []byte("\n")) + 1
		switch {
		case !closing && open != nil:
			return nil, fmt.Errorf("line %d: <!-- bench:%s --> inside bench:%s: close it first with <!-- /bench:%s -->", line, name, open.name, open.name)
		case !closing && seen[name]:
			return nil, fmt.Errorf("line %d: a second <!-- bench:%s -->: each table appears once", line, name)
		case !closing:
			end := m[1]
			if end < len(doc) && doc[end] == '\n' {
				end++
			}
			open = &block{name: name, start: end}
			seen[name] = true
		case open == nil || open.name != name:
			return nil, fmt.Errorf("line %d: <!-- /bench:%s --> without its <!-- bench:%s -->", line, name, name)
		default:
			open.end = m[0]
			out = append(out, *open)
			open = nil
		}
	}
	if open != nil {
		return nil, fmt.Errorf("<!-- bench:%s --> is never closed: add <!-- /bench:%s --> after its table", open.name, open.name)
	}
	return out, nil
}

// rewrite replaces the content of every block of doc by its table built
// from d, merged with the rows already there.
func rewrite(doc []byte, d *data) ([]byte, error) {
	blocks, err := splitBlocks(doc)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	last := 0
	for _, b := range blocks {
		def, ok := tables[b.name]
		if !ok {
			return nil, fmt.Errorf("unknown table <!-- bench:%s -->: the tables are %s", b.name, strings.Join(tableNames(), ", "))
		}
		content, err := merge(def(d), string(doc[b.start:b.end]), d)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", b.name, err)
		}
		out.Write(doc[last:b.start])
		out.WriteString(content)
		last = b.end
	}
	out.Write(doc[last:])
	return out.Bytes(), nil
}

func tableNames() []string {
	var ns []string
	for n := range tables {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// table is one table as this run measured it; an empty cell has no value
// from this run.
type table struct {
	header  []string
	keys    int // the leading columns that name a row
	rows    [][]string
	sources []source
	// counts: the values are fixed by the code (sizes), not timings, so
	// the status line gives no runs
	counts bool
}

// source is a benchmark and the columns (or, with no columns, the rows)
// its results fill.
type source struct {
	bench string   // top-level name without the Benchmark prefix
	cols  []string // header names; nil: the whole table
}

// oldTable is a table as the file has it.
type oldTable struct {
	header []string
	rows   [][]string
	status string // the status line, without its underscores
	body   string // everything before the status line
}

func parseOld(content string) oldTable {
	var t oldTable
	lines := strings.Split(strings.TrimRight(content, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		ln := strings.TrimSpace(lines[i])
		if ln == "" {
			continue
		}
		if strings.HasPrefix(ln, "_") && strings.HasSuffix(ln, "_") && len(ln) > 1 {
			t.status = strings.Trim(ln, "_")
			lines = lines[:i]
		}
		break
	}
	t.body = strings.TrimRight(strings.Join(lines, "\n"), "\n")
	for _, ln := range lines {
		ln = strings.TrimSpace(ln)
		if !strings.HasPrefix(ln, "|") {
			continue
		}
		cells := splitRow(ln)
		switch {
		case t.header == nil:
			t.header = cells
		case len(cells) > 0 && strings.Trim(cells[0], ":-") == "" && strings.Contains(ln, "-"):
			// the |---| line
		default:
			t.rows = append(t.rows, cells)
		}
	}
	return t
}

// splitRow splits a markdown table row; \| is a literal bar.
func splitRow(ln string) []string {
	ln = strings.TrimSuffix(strings.TrimPrefix(ln, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(ln); i++ {
		switch {
		case ln[i] == '\\' && i+1 < len(ln) && ln[i+1] == '|':
			cur.WriteString(`\|`)
			i++
		case ln[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(ln[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// merge renders t, filling the cells this run has no value for from the
// old table, and writes the status line.
func merge(t *table, content string, d *data) (string, error) {
	old := parseOld(content)
	var missing []source
	for _, s := range t.sources {
		if !d.ran(s.bench) {
			missing = append(missing, s)
		}
	}
	if len(missing) == len(t.sources) {
		// nothing behind this table ran: keep it as it is
		if old.header == nil {
			return "", fmt.Errorf("none of its benchmarks ran (%s) and the file has no rows to keep", reasons(missing, d))
		}
		prev := old.status
		if _, rest, ok := strings.Cut(prev, earlier); ok {
			prev = rest
		}
		status := fmt.Sprintf("Not refreshed: %s.", reasons(missing, d))
		if prev != "" {
			status += earlier + prev
		}
		return old.body + "\n\n_" + status + "_\n", nil
	}
	oldRow := map[string][]string{}
	for _, r := range old.rows {
		oldRow[rowKey(r, t.keys)] = r
	}
	keptCols := map[string]bool{}
	for _, r := range t.rows {
		for i := range r {
			if r[i] != "" {
				continue
			}
			r[i] = "–"
			o := oldRow[rowKey(r, t.keys)]
			if j := slices.Index(old.header, t.header[i]); o != nil && j >= 0 && j < len(o) && o[j] != "" {
				r[i] = o[j]
				keptCols[t.header[i]] = true
			}
		}
	}
	var sb strings.Builder
	sb.WriteString("| " + strings.Join(t.header, " | ") + " |\n|")
	for i := range t.header {
		if i < t.keys {
			sb.WriteString("---|")
		} else {
			sb.WriteString("---:|")
		}
	}
	sb.WriteString("\n")
	for _, r := range t.rows {
		sb.WriteString(strings.ReplaceAll("| "+strings.Join(r, " | ")+" |\n", blank, ""))
	}
	var status []string
	if !t.counts {
		status = append(status, runsText(t, d))
	}
	if len(missing) > 0 {
		var cols []string
		for _, s := range missing {
			for _, c := range s.cols {
				if keptCols[c] {
					cols = append(cols, c)
				}
			}
		}
		switch {
		case len(cols) > 0:
			status = append(status, fmt.Sprintf("Column %s from an earlier run (%s).", strings.Join(cols, ", "), reasons(missing, d)))
		case len(keptCols) > 0:
			status = append(status, fmt.Sprintf("Rows of benchmarks that did not run are from an earlier run (%s).", reasons(missing, d)))
		default:
			status = append(status, fmt.Sprintf("Not measured: %s.", reasons(missing, d)))
		}
	}
	if len(missing) == 0 && len(keptCols) > 0 {
		// a VM table: this run fills one column, the other is kept
		var cols []string
		for _, h := range t.header {
			if keptCols[h] {
				cols = append(cols, h)
			}
		}
		status = append(status, fmt.Sprintf("Column %s from an earlier run.", strings.Join(cols, ", ")))
	}
	if len(status) == 0 {
		return sb.String(), nil
	}
	return sb.String() + "\n_" + strings.Join(status, " ") + "_\n", nil
}

// ciHeader is the header of the confidence interval columns.
const ciHeader = "95% CI"

// earlier separates a status line from the status of the run its rows are from.
const earlier = " The rows are from an earlier run: "

func rowKey(r []string, keys int) string {
	return strings.Join(r[:min(keys, len(r))], "\x00")
}

// reasons says why each source has no results.
func reasons(ss []source, d *data) string {
	var out []string
	for _, s := range ss {
		if why, ok := d.skipped[s.bench]; ok {
			out = append(out, fmt.Sprintf("Benchmark%s skipped: %s", s.bench, strings.TrimSuffix(why, ".")))
		} else {
			out = append(out, fmt.Sprintf("Benchmark%s is not in the benchmark output", s.bench))
		}
	}
	return strings.Join(out, "; ")
}

// runsText says how many runs the medians of t are of, and passes on
// benchmath's warnings about their confidence intervals.
func runsText(t *table, d *data) string {
	n := 0
	var warnings []string
	for _, s := range t.sources {
		names := d.sub(s.bench)
		if d.samples[s.bench] != nil {
			names = append(names, s.bench)
		}
		for _, name := range names {
			for unit := range d.samples[name] {
				sum, runs, _ := d.summary(name, unit)
				n = max(n, runs)
				for _, w := range sum.Warnings {
					if !slices.Contains(warnings, w.Error()) {
						warnings = append(warnings, w.Error())
					}
				}
			}
		}
	}
	text := "One run."
	if n > 1 {
		text = fmt.Sprintf("Median of %d runs, ± its %.0f%% confidence interval (benchstat).", n, confidence*100)
	}
	if len(warnings) > 0 && slices.Contains(t.header, ciHeader) {
		slices.Sort(warnings)
		text += " benchstat: " + strings.Join(warnings, "; ") + "."
	}
	return text
}
