package vm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// stanza is one paragraph of a deb822 file. Keys are lower-cased; values keep
// their continuation lines ("\n " joined) so that an inline Signed-By key
// survives a round trip.
type stanza map[string]string

// parseDeb822 splits a deb822 file (apt's *.sources format) into stanzas.
// Comment lines are dropped; a blank line ends a stanza.
func parseDeb822(data []byte) ([]stanza, error) {
	var (
		out  []stanza
		cur  stanza
		last string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case line == "":
			if cur != nil {
				out = append(out, cur)
			}
			cur, last = nil, ""
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("line %d: continuation line without a field", n)
			}
			cur[last] += "\n " + strings.TrimSpace(line)
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: %q is not a \"Field: value\" line", n, line)
			}
			if cur == nil {
				cur = stanza{}
			}
			last = strings.ToLower(strings.TrimSpace(k))
			cur[last] = strings.TrimSpace(v)
		}
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out, sc.Err()
}

func (s stanza) words(key string) []string { return strings.Fields(s[key]) }

func (s stanza) has(key, word string) bool {
	for _, w := range s.words(key) {
		if w == word {
			return true
		}
	}
	return false
}

// aptSources derives the private apt sources used to fetch kernels of
// Debian release codename (e.g. "bookworm") from the host's deb822 stanzas:
// the URIs/Signed-By of the stanza carrying the main archive (a suite without
// a dash, like "bookworm") with Suites "<codename>-backports", and the
// security stanza with Suites "<codename>-security". No host name is
// hard-coded: everything comes from the host's configuration.
func aptSources(stanzas []stanza, codename string) (string, error) {
	var main, security stanza
	for _, s := range stanzas {
		if !s.has("types", "deb") || strings.EqualFold(s["enabled"], "no") || s["uris"] == "" {
			continue
		}
		for _, suite := range s.words("suites") {
			switch {
			case strings.HasSuffix(suite, "-security") && security == nil:
				security = s
			case !strings.Contains(suite, "-") && main == nil:
				main = s
			}
		}
	}
	if main == nil {
		return "", fmt.Errorf("no deb stanza for the main Debian archive (a suite like %q) in the host's apt sources", codename)
	}
	var b strings.Builder
	write := func(s stanza, suite string) {
		b.WriteString("Types: deb\nURIs: " + s["uris"] + "\nSuites: " + suite + "\nComponents: main\n")
		if v := s["signed-by"]; v != "" {
			b.WriteString("Signed-By: " + v + "\n")
		}
	}
	write(main, codename+"-backports")
	if security != nil {
		b.WriteString("\n")
		write(security, codename+"-security")
	}
	return b.String(), nil
}

// hostAptSources reads every *.sources file in dir (normally
// /etc/apt/sources.list.d) and derives the private sources from them.
func hostAptSources(dir, codename string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sources"))
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	var all []stanza
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		st, err := parseDeb822(data)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", f, err)
		}
		all = append(all, st...)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no *.sources file in %s: the kernel download needs the host's Debian apt sources in deb822 form (or pass --kernel and --kdir)", dir)
	}
	src, err := aptSources(all, codename)
	if err != nil {
		return "", fmt.Errorf("%s: %w (or pass --kernel and --kdir)", dir, err)
	}
	return src, nil
}
