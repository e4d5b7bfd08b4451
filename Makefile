# nvmsim — build, test, run. C11, libc + libm + pthreads only.
CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
# IEEE semantics everywhere (no -ffast-math, no FMA contraction): results are reproducible bit for bit.
# SIMD is enabled per function (target attributes) in src/nn/ and src/device/, chosen at run time.
# -fno-math-errno: sqrt never sets errno, so it stays one correctly rounded instruction that loops can
# vectorise (the same value: IEEE sqrt is exact to the last bit).
CFLAGS  ?= -O3 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -ffp-contract=off -fno-math-errno -Iinclude -pthread
LDLIBS  += -lm -pthread

SRCS     := $(sort $(shell find src -name '*.c'))
OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(filter-out $(BUILD)/src/main.o,$(OBJS))
TESTS    := $(sort $(basename $(notdir $(wildcard tests/test_*.c))))
TEST_BINS := $(TESTS:%=$(BUILD)/tests/%)

NVMSIM_DATA ?= $(CURDIR)/data
export NVMSIM_DATA

.PHONY: all run test clean install data reproduce
all: nvmsim

nvmsim: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -MMD -MP -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(BUILD)/tests/mkdata: tests/mkdata.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# Unit tests (each a program), then the command-line tests (which add a smoke sweep on real MNIST
# when NVMSIM_DATA points at it), then scripts/nvmsim_torch.py against the binary (skipped without torch).
test: nvmsim $(TEST_BINS) $(BUILD)/tests/mkdata
	@set -e; for t in $(TEST_BINS); do $$t; done
	@sh tests/cli.sh ./nvmsim $(BUILD)/tests/mkdata
	@sh tests/robust.sh ./nvmsim $(BUILD)/tests/mkdata
	@python3 tests/test_stats.py ./nvmsim $(BUILD)/tests/mkdata

# The Python tools (figures, PyTorch interchange) against the real binary: kept out of make test for its
# time budget; .ci/run runs both.
.PHONY: test-tools
test-tools: nvmsim $(BUILD)/tests/mkdata
	@sh tests/test_plot.sh ./nvmsim $(BUILD)/tests/mkdata
	@sh tests/test_torch.sh ./nvmsim $(BUILD)/tests/mkdata

# Sanitizers: everything rebuilt with ASan + UBSan in $(BUILD)/asan (CC may be gcc or clang), then the
# whole suite (unit tests, tests/cli.sh, tests/test_plot.sh, tests/robust.sh) against it. Sanitizer
# reports go to $(BUILD)/asan/sanitizer-logs/ (robust.sh's to robust/ there, checked case by case); any
# report fails the run, and is printed.
ASAN_BUILD  ?= $(BUILD)/asan
ASAN_CFLAGS ?= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang in $(BUILD)/fuzz; `make fuzz` runs each for
# FUZZ_SECONDS on a copy of its seed corpus (tests/fuzz/corpus/NAME) and fails on any crash.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_BUILD   ?= $(BUILD)/fuzz
FUZZ_CFLAGS  ?= -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c))))
.PHONY: test-asan asan-suite fuzz fuzz-build

test-asan:
	@rm -rf $(ASAN_BUILD)/sanitizer-logs && mkdir -p $(ASAN_BUILD)/sanitizer-logs/robust
	@CFLAGS="$(ASAN_CFLAGS)" $(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) asan-suite

# (run by test-asan with BUILD=$(ASAN_BUILD) and the sanitizer CFLAGS)
asan-suite: $(BUILD)/nvmsim $(TEST_BINS) $(BUILD)/tests/mkdata
	@logs=$(CURDIR)/$(BUILD)/sanitizer-logs; t0=$$(date +%s); st=0; \
	a=detect_leaks=1:strict_string_checks=1; u=print_stacktrace=1:halt_on_error=1; \
	export ASAN_OPTIONS=log_path=$$logs/asan:$$a UBSAN_OPTIONS=log_path=$$logs/ubsan:$$u; \
	for t in $(TEST_BINS); do $$t || st=1; done; \
	sh tests/cli.sh $(BUILD)/nvmsim $(BUILD)/tests/mkdata || st=1; \
	sh tests/test_plot.sh $(BUILD)/nvmsim $(BUILD)/tests/mkdata || st=1; \
	ASAN_OPTIONS=log_path=$$logs/robust/asan:$$a UBSAN_OPTIONS=log_path=$$logs/robust/ubsan:$$u \
	NVMSIM_SANITIZER_LOGS=$$logs/robust sh tests/robust.sh $(BUILD)/nvmsim $(BUILD)/tests/mkdata || st=1; \
	if [ -n "$$(find $$logs -type f)" ]; then find $$logs -type f -exec cat {} + >&2; \
	    echo "test-asan: sanitizer reports above" >&2; st=1; fi; \
	echo "test-asan: $$([ $$st -eq 0 ] && echo clean || echo FAILED) ($$(($$(date +%s) - t0)) s)" >&2; \
	exit $$st

$(BUILD)/nvmsim: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

fuzz:
	@CFLAGS="$(FUZZ_CFLAGS)" $(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(FUZZ_BUILD) fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/%)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(LIB_OBJS) $(LDLIBS)

# scripts/slurm/submit.sh end to end on a one-node Slurm cluster that tests/slurm.sh starts and stops itself
# (as root; installs slurmctld, slurmd, slurm-client and munge with apt if missing). See
# scripts/slurm/README-cluster.md.
.PHONY: test-examples
# Every --help example as printed (about a minute): run by .ci/run after make test.
test-examples: nvmsim $(BUILD)/tests/mkdata
	@sh tests/help_examples.sh ./nvmsim $(BUILD)/tests/mkdata

.PHONY: test-slurm
test-slurm: nvmsim
	@bash tests/slurm.sh ./nvmsim

# Finds MNIST (in $$NVMSIM_DATA or ./data), fetching it into ./data if absent, then runs the paper's sweep
# into results/run-mlp2.csv (the committed study lives in results/paper/ and is never written by it).
run: nvmsim
	@sh scripts/ensure_data.sh
	./nvmsim sweep --net mlp2 --alpha 0:1:0.05 --out results/run-mlp2.csv --overwrite

data:
	sh scripts/fetch_data.sh

# The paper's figures (PNG + PDF in results/paper/figures/) from every sweep CSV in results/paper/. Needs python3 with
# matplotlib (Debian: python3-matplotlib); the default python3 is used if it has it, else /usr/bin/python3.
PYTHON ?= $(shell python3 -c 'import matplotlib' >/dev/null 2>&1 && echo python3 || echo /usr/bin/python3)
.PHONY: figures
figures:
	$(PYTHON) scripts/plot_figures.py --out results/paper/figures results/paper/*.csv

# nvmsim bench and scripts/bench_torch.py (PyTorch, if /usr/bin/python3 or python3 has torch) back to back
# for cnn, mlp2 and mlp3 with BENCH_THREADS (2) threads, then a table: both figures, nvmsim/PyTorch and the
# share of the FMA peak. A few minutes; numbers from a busy machine are noisy.
BENCH_THREADS ?= 2
export BENCH_THREADS
.PHONY: bench
bench: nvmsim
	@sh scripts/bench.sh ./nvmsim

# Every study behind results/ (scripts/studies/*.runs: CSVs, sidecars, summaries, figures) from scratch; wall times go to
# results/reproduce.log (each study's runs in results/STUDY/runs.log).
reproduce: nvmsim
	sh scripts/reproduce.sh

install: nvmsim
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 nvmsim $(DESTDIR)$(PREFIX)/bin/nvmsim

clean:
	rm -rf $(BUILD) nvmsim

-include $(OBJS:.o=.d) $(TEST_BINS:=.d)
-include $(FUZZ_TARGETS:%=$(BUILD)/%.d)
