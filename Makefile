# structops-gen: make test installs what the tests need (Debian packages,
# as root) and runs every test, the VM end-to-end tests included.

GO ?= go
# Debian packages the tests use: qemu and the module build (kbuild needs
# make and gcc-12, the compiler Debian's 6.12 kernels are built with; module BTF needs pahole from
# dwarves; kbuild's tools link libelf, libssl, zlib), kmod and zstd, sparse for C=1.
DEB_PACKAGES := qemu-system-x86 dwarves make gcc gcc-12 binutils libelf1 libssl3 zlib1g kmod zstd sparse cpio debootstrap
TEST_FLAGS ?= -timeout 40m
# every fuzz target runs this long in make test (by hand: make fuzz FUZZTIME=10m)
CI_FUZZTIME ?= 20s

.PHONY: all generate test deps check-format vet fuzz bench bench-table

all: generate

# Generate the default stack into out/ (the first README command does the same).
generate:
	$(GO) run ./cmd/structops-gen -o out

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: missing Debian packages:$$missing (run as root to install them)"; exit 1; fi; \
		echo "make deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

check-format:
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; exit 1; fi

vet:
	CGO_ENABLED=0 $(GO) vet ./...

# Every test: unit, golden, host BPF (as root), and the VM end-to-end runs
# (STRUCTOPS_VM=1 makes them fetch a kernel instead of skipping;
# STRUCTOPS_VM_SERIES2=1 adds Debian's 7.3 kernel, whose modules are built
# in a debootstrapped trixie chroot).
test: deps check-format vet
	STRUCTOPS_VM=1 STRUCTOPS_VM_SERIES2=1 CGO_ENABLED=0 $(GO) test $(TEST_FLAGS) ./...
	$(MAKE) fuzz FUZZTIME=$(CI_FUZZTIME)

# Every benchmark, -count BENCH_COUNT, each package in turn, then the
# tables of BENCHMARKS.md rewritten from benchstat's medians and 95%
# confidence intervals (internal/benchtable; 6 runs is the least that gives
# one; the output is kept in bench.txt). ./bpf needs root. The VM benchmarks
# of ./e2e run only with STRUCTOPS_VM=1, once each, into the BENCH_VMRUN
# column (warm or cold). bench-table redoes the tables from bench.txt.
BENCH_COUNT ?= 6
BENCH_VMRUN ?= warm
bench:
	CGO_ENABLED=0 $(GO) run ./internal/benchtable -count $(BENCH_COUNT) -vmrun $(BENCH_VMRUN) -raw bench.txt -md BENCHMARKS.md

bench-table:
	CGO_ENABLED=0 $(GO) run ./internal/benchtable -in bench.txt -md BENCHMARKS.md

# Each fuzz target for FUZZTIME (go test -fuzz runs one target at a time, .ci/fuzz);
# a crash is saved under <package>/testdata/fuzz/<Target>/ and fails the run.
# (interesting inputs are minimized for at most FUZZMINIMIZETIME: the 60 s
# default stalls the header targets, whose inputs parse slowly)
FUZZTIME ?= 30s
FUZZMINIMIZETIME ?= 10s
# package:target
FUZZ_TARGETS := ./gen/read/header:FuzzParseHeader ./gen:FuzzLoadBTF ./gen:FuzzPipeline
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZMINIMIZETIME=$(FUZZMINIMIZETIME) bash .ci/fuzz $(FUZZ_TARGETS)
