# nvmsim — build, test, run. C11, libc + libm + pthreads only.
CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
# IEEE semantics everywhere (no -ffast-math, no FMA contraction): results are reproducible bit for bit.
# SIMD is enabled per function (target attributes) in src/nn/gemm*.c, chosen at run time.
CFLAGS  ?= -O3 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -ffp-contract=off -Iinclude -pthread
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
# when NVMSIM_DATA points at it).
test: nvmsim $(TEST_BINS) $(BUILD)/tests/mkdata
	@set -e; for t in $(TEST_BINS); do $$t; done
	@sh tests/cli.sh ./nvmsim $(BUILD)/tests/mkdata
	@sh tests/test_plot.sh ./nvmsim $(BUILD)/tests/mkdata

# Finds MNIST (in $$NVMSIM_DATA or ./data), fetching it into ./data if absent, then runs the paper's sweep
# (into its own file: results/mlp2.csv holds the committed 100-chip run).
run: nvmsim
	@sh scripts/ensure_data.sh
	./nvmsim sweep --net mlp2 --alpha 0:1:0.05 --out results/run-mlp2.csv --overwrite

data:
	sh scripts/fetch_data.sh

# The paper's figures (PNG + PDF in results/figures/) from every sweep CSV in results/. Needs python3 with
# matplotlib (Debian: python3-matplotlib); the default python3 is used if it has it, else /usr/bin/python3.
PYTHON ?= $(shell python3 -c 'import matplotlib' >/dev/null 2>&1 && echo python3 || echo /usr/bin/python3)
.PHONY: figures
figures:
	$(PYTHON) scripts/plot_figures.py --out results/figures results/*.csv

# Every run behind results/ (CSVs, sidecars, figures) from scratch; wall times go to results/reproduce.log.
reproduce: nvmsim
	sh scripts/reproduce.sh

install: nvmsim
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 nvmsim $(DESTDIR)$(PREFIX)/bin/nvmsim

clean:
	rm -rf $(BUILD) nvmsim

-include $(OBJS:.o=.d) $(TEST_BINS:=.d)
