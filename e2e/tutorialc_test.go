package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/vm"
)

// TestTutorialCInVM runs BPF C and a libbpf skeleton loader in the shape of
// the struct_ops tutorial's (e2e/testdata/tutorialc) against our generated
// module (module/, the built-in spec), in one VM boot: the programs
// include module/bpf_testmod.h after vmlinux.h, libbpf finds struct
// bpf_testmod_ops in the module's BTF and attaches the .struct_ops.link
// map, and what the loader reads back from the trigger is what the C
// callbacks return (test_1 42, test_2 a+b, test_3 len). The C side needs
// clang, bpftool and libbpf >= 1.4, on the host or in the cached trixie
// build chroot; without them the test skips before building or booting
// anything.
func TestTutorialCInVM(t *testing.T) {
	tc, why := findCToolchain()
	if why != "" {
		t.Skip(why)
	}
	k := kernel(t)
	work := t.TempDir()
	t.Logf("C side: %s", tc.desc)
	files := tc.build(t, k, work)
	kos, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join("..", "module"), vm.BuildOptions{Dir: filepath.Join(work, "build"), W1: true})
	if err != nil {
		t.Fatal(err)
	}

	const loader = "/bin/tutorialc-loader"
	// A line naming no callback makes the module call test_1(),
	// test_2(10, 20) and test_3(line, its length).
	demo := "Hello from the C loader!"
	demoA, demoB := 10, 20
	a, b := 1200, 34
	word := "structops"
	sum := func(x, y int) string { return strconv.Itoa(x + y) }
	plan := Plan{Steps: []Step{
		{Name: "tutorialc-demo", Argv: []string{loader, demo},
			WantStdout: []string{"test_1 42", "test_2 " + sum(demoA, demoB), "test_3 " + strconv.Itoa(len(demo))},
			WantStderr: []string{"tutorialc: attached", "tutorialc: detached"}},
		{Name: "tutorialc-demo-unregistered", WaitKmsg: "bpf_testmod_ops unregistered", Count: 1},
		{Name: "tutorialc-trace-test_1", Trace: "tutorialc: test_1 returns 42"},
		{Name: "tutorialc-trace-test_2", Trace: fmt.Sprintf("tutorialc: test_2(%d, %d) = %s", demoA, demoB, sum(demoA, demoB))},
		{Name: "tutorialc-trace-test_3", Trace: fmt.Sprintf("tutorialc: test_3 got %q, len %d", demo, len(demo))},
		{Name: "tutorialc-test_2", Argv: []string{loader, fmt.Sprintf("test_2 %d %d", a, b)},
			WantStdout: []string{"test_1 42", "test_2 " + sum(a, b), "test_3 " + strconv.Itoa(len(demo))}},
		{Name: "tutorialc-test_2-negative", Argv: []string{loader, "test_2 -7 3"},
			WantStdout: []string{"test_1 42", "test_2 " + sum(-7, 3), "test_3 " + strconv.Itoa(len(demo))}},
		{Name: "tutorialc-test_3", Argv: []string{loader, fmt.Sprintf("test_3 %s %d", word, len(word))},
			WantStdout: []string{"test_1 42", "test_2 " + sum(-7, 3), "test_3 " + strconv.Itoa(len(word))}},
		{Name: "tutorialc-trace-test_3-word", Trace: fmt.Sprintf("tutorialc: test_3 got %q, len %d", word, len(word))},
		{Name: "tutorialc-all-unregistered", WaitKmsg: "bpf_testmod_ops unregistered", Count: 4},
		{Name: "tutorialc-rmmod", Rmmod: "bpf_testmod"},
	}}
	res := runPlan(t, k, kos, files, plan, work)
	for _, want := range []string{
		fmt.Sprintf("test_2(%d, %d) returned: %s", demoA, demoB, sum(demoA, demoB)),
		fmt.Sprintf("test_2(%d, %d) returned: %s", a, b, sum(a, b)),
		fmt.Sprintf("test_3(%q, %d) returned: %d", word, len(word), len(word)),
	} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("kernel log lacks %q", want)
		}
	}
	checkKernelLog(t, res.Console)
	t.Logf("VM run: %v (%s)", res.Elapsed.Round(time.Millisecond), res.Accel)
}

// minLibbpf is the oldest libbpf that finds a struct_ops type in a
// module's BTF (1.4); older ones look in vmlinux's BTF only.
var minLibbpf = [2]int{1, 4}

// cToolchain is where the tutorial-shaped C side is built: the host, or a
// build chroot whose programs run with the work dirs bound in at the same
// paths.
type cToolchain struct {
	root string // chroot dir; "" for the host
	desc string
}

// findCToolchain returns the first place with clang, bpftool and libbpf
// >= minLibbpf headers: the host, then the trixie build chroot of the VM
// cache (it gets them only by hand: apt-get install clang bpftool
// libbpf-dev in it). Otherwise it says what each place lacks.
func findCToolchain() (cToolchain, string) {
	why := checkCToolchain("")
	if why == "" {
		return cToolchain{desc: "host"}, ""
	}
	lacks := []string{"host: " + why}
	cache := os.Getenv("STRUCTOPS_VM_CACHE")
	if cache == "" {
		cache = vm.DefaultCacheDir()
	}
	if root, ok := vm.CachedBuildChroot(cache, "trixie"); !ok {
		lacks = append(lacks, "no trixie build chroot in the VM cache "+cache)
	} else if why := checkCToolchain(root); why != "" {
		lacks = append(lacks, "trixie build chroot "+root+": "+why+" (apt-get install clang bpftool libbpf-dev in it)")
	} else {
		return cToolchain{root: root, desc: "trixie build chroot " + root}, ""
	}
	return cToolchain{}, fmt.Sprintf("the tutorial-shaped C side needs clang, bpftool and libbpf >= %d.%d: %s",
		minLibbpf[0], minLibbpf[1], strings.Join(lacks, "; "))
}

var libbpfVersion = regexp.MustCompile(`(?m)^#define LIBBPF_(MAJOR|MINOR)_VERSION (\d+)`)

// checkCToolchain says what root ("" for the host) lacks of the C side's
// tools, "" if nothing.
func checkCToolchain(root string) string {
	var lacks []string
	for _, tool := range []string{"clang", "bpftool"} {
		if !hasTool(root, tool) {
			lacks = append(lacks, "no "+tool)
		}
	}
	hdr := filepath.Join(root, "/usr/include/bpf/libbpf_version.h")
	b, err := os.ReadFile(hdr)
	if err != nil {
		lacks = append(lacks, "no libbpf headers ("+hdr+")")
	} else {
		var v [2]int
		for _, m := range libbpfVersion.FindAllSubmatch(b, -1) {
			n, _ := strconv.Atoi(string(m[2]))
			v[map[string]int{"MAJOR": 0, "MINOR": 1}[string(m[1])]] = n
		}
		if v[0] < minLibbpf[0] || v[0] == minLibbpf[0] && v[1] < minLibbpf[1] {
			lacks = append(lacks, fmt.Sprintf("libbpf %d.%d is older than %d.%d, the first to find struct_ops types in module BTF",
				v[0], v[1], minLibbpf[0], minLibbpf[1]))
		}
	}
	return strings.Join(lacks, ", ")
}

func hasTool(root, name string) bool {
	if root == "" {
		_, err := exec.LookPath(name)
		return err == nil
	}
	for _, d := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		if _, err := os.Lstat(filepath.Join(root, d, name)); err == nil {
			return true
		}
	}
	return false
}

// run runs argv with tc's tools, binds bound into a chroot, and returns
// its stdout.
func (tc cToolchain) run(t *testing.T, binds []string, argv ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if tc.root == "" {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	} else {
		cmd = vm.ChrootCommand(ctx, tc.root, binds, argv...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s (%s): %v\n%s", strings.Join(argv, " "), tc.desc, err, stderr.Bytes())
	}
	return out
}

// build makes vmlinux.h from the kernel's BTF, compiles the BPF object,
// generates its skeleton and compiles the loader, and returns the loader
// and the shared objects it runs with as guest files. The loader is
// linked dynamically: Debian trixie's libelf.a (elfutils 0.192) refers to
// eu_search_tree_init and friends, which no Debian package ships as a
// static library, so it cannot be linked -static there.
func (tc cToolchain) build(t *testing.T, k *vm.Kernel, work string) []vm.File {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("testdata", "tutorialc"))
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Dir(filepath.Dir(filepath.Dir(src)))
	kdir, err := filepath.Abs(k.KDir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "c")
	if err := os.MkdirAll(filepath.Join(out, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	binds := []string{work, repo, kdir}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	write("vmlinux.h", tc.run(t, binds, "bpftool", "btf", "dump", "file", filepath.Join(kdir, "vmlinux"), "format", "c"))
	obj := filepath.Join(out, "struct_ops.bpf.o")
	tc.run(t, binds, "clang", "-g", "-O2", "-Wall", "-target", "bpf", "-D__TARGET_ARCH_x86",
		"-I"+out, "-I"+repo, "-c", filepath.Join(src, "struct_ops.bpf.c"), "-o", obj)
	write("struct_ops.skel.h", tc.run(t, binds, "bpftool", "gen", "skeleton", obj))
	loader := filepath.Join(out, "tutorialc-loader")
	tc.run(t, binds, "clang", "-O2", "-Wall", "-I"+out, filepath.Join(src, "struct_ops.c"), "-lbpf", "-o", loader)
	t.Logf("C side built in %v: %s", time.Since(start).Round(time.Millisecond),
		strings.TrimSpace(strings.SplitN(string(tc.run(t, binds, "clang", "--version")), "\n", 2)[0]))

	// The dynamic linker lists the shared objects it would load; each is
	// copied out (symlinks resolved where they point, in the chroot) and
	// put at the same path in the guest.
	var paths []string
	trace := tc.run(t, binds, "env", "LD_TRACE_LOADED_OBJECTS=1", loader)
	sc := bufio.NewScanner(bytes.NewReader(trace))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[1] == "=>" {
			f = f[2:]
		}
		if len(f) > 0 && strings.HasPrefix(f[0], "/") {
			paths = append(paths, f[0])
		}
	}
	if len(paths) == 0 {
		t.Fatalf("no shared objects listed for %s:\n%s", loader, trace)
	}
	tc.run(t, binds, append(append([]string{"cp", "-L"}, paths...), filepath.Join(out, "lib"))...)
	files := []vm.File{{HostPath: loader, GuestPath: "/bin/tutorialc-loader"}}
	for _, p := range paths {
		files = append(files, vm.File{HostPath: filepath.Join(out, "lib", filepath.Base(p)), GuestPath: p})
	}
	return files
}
