# tailgate - GNU Makefile.
#   make            build ./tailgate (runs scripts/bootstrap first, cheaply)
#   make test       unit + integration + end-to-end tests; ends "N passed, N failed"
#   make asan       the same tests on an ASan+UBSan build (make test runs it too when CI is set)
#   make tsan       the multi-threaded paths (serve, run --threads 2) under TSan
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (clang)
#   make bench      micro-benchmarks (bench/micro.c), tailgate vs wrk (bench/run) and stream
#                   fidelity (bench/stream-fidelity): figures
#   make coverage   the suite on a gcov build; HTML in build/coverage/html, last line
#                   "lines: NN.N% functions: NN.N%" for src/ (installs Debian's lcov)
#   make clean
#   make install     the binary, man pages, bash completion, workloads and docs under
#                    DESTDIR/PREFIX (PREFIX default /usr/local; docs/install.md)
#   make uninstall   removes them (same PREFIX and DESTDIR)
#   make man         man pages in $(BUILD)/man, from the built binary (tailgate help --man)
#   make completion  the bash completion script $(BUILD)/completion/tailgate
# Sources are found by wildcard: a new src/<module>/*.c or tests/unit/test_*.c
# needs no Makefile change.

CC      ?= cc
BUILD   ?= build/release
OPT     ?= -O2
SAN     ?=
CFLAGS  ?= $(OPT) -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
PKGS    := libmicrohttpd jansson libssl libcrypto
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -Isrc $(WARN)
# How the Makefile checks the Debian packages (debian/rules: --build, no test packages).
BOOTSTRAP ?= scripts/bootstrap

# Where make install puts things; the binary looks for its data in DATADIR
# (core/datadir.h), so build and install with the same PREFIX.
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/tailgate
MANDIR  := $(PREFIX)/share/man/man1
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
DOCDIR  := $(PREFIX)/share/doc/tailgate

# clean and uninstall need no configuration (and so no bootstrap).
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out clean uninstall,$(MAKECMDGOALS)),)
TG_NO_CONFIG := 1
endif
endif
ifndef TG_NO_CONFIG
-include build/config.mk
endif

# CPPFLAGS and LDFLAGS: the distribution's (dpkg-buildflags: fortify, relro).
ALL_CFLAGS := $(BASE_CFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(SAN)
LDLIBS  := $(PKG_LIBS) -lm -lpthread

LIB_SRC  := $(sort $(wildcard src/core/*.c src/http/*.c src/api/*.c src/stats/*.c src/engine/*.c src/doc/*.c \
            src/output/*.c src/compare/*.c src/report/*.c src/server/*.c src/analyze/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libtailgate.a

.PHONY: all test unit-tests asan tsan fuzz fuzz-build bench coverage clean bootstrap \
        install uninstall man completion FORCE
.DELETE_ON_ERROR:
# Keep intermediate objects (the fuzz builds' among them) between runs.
.SECONDARY:

all: tailgate

# The bootstrap checks (and installs) Debian packages, then records the
# pkg-config flags so that later makes need no package queries at all.
build/config.mk: scripts/bootstrap Makefile
	@$(BOOTSTRAP)
	@mkdir -p build
	@printf 'PKG_CFLAGS := %s\nPKG_LIBS := %s\n' \
	  "$$(pkg-config --cflags $(PKGS))" "$$(pkg-config --libs $(PKGS))" > $@.tmp && mv $@.tmp $@

bootstrap:
	@scripts/bootstrap

$(BUILD)/%.o: %.c build/config.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

# The data directory is compiled into core/datadir.o; $(BUILD)/datadir.txt
# changes (and so rebuilds it) only when PREFIX does.
$(BUILD)/datadir.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@
$(BUILD)/src/core/datadir.o: $(BUILD)/datadir.txt
$(BUILD)/src/core/datadir.o: ALL_CFLAGS += -DTG_DATADIR='"$(DATADIR)"'

$(BUILD)/tailgate: $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

# cp + mv: replacing the file (not writing into it) works while a run uses it.
tailgate: $(BUILD)/tailgate
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB) build/config.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests/unit -MMD -MP -o $@ $< $(LIB) $(LDLIBS)

unit-tests: $(TEST_BIN)

# TG_BIN and TG_TESTBIN tell the runner which build to exercise.
# In CI (CI set and not false/0), the suite runs a second time under ASan+UBSan.
# With CI set (as .ci/run is), the fuzz smoke and the ASan+UBSan suite run
# first, so that the release suite's "N passed, N failed" is the last line.
test: tailgate unit-tests
	@case "$${CI:-}" in ""|false|0) ;; *) echo "CI=$$CI: a fuzz smoke and the ASan+UBSan suite first"; \
	  $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5 && $(MAKE) --no-print-directory asan ;; esac
	@TG_BIN=$(CURDIR)/$(BUILD)/tailgate TG_TESTBIN=$(CURDIR)/$(BUILD)/tests tests/run

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  build/asan/tailgate unit-tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  TG_BIN=$(CURDIR)/build/asan/tailgate TG_TESTBIN=$(CURDIR)/build/asan/tests TG_SANITIZED=1 tests/run

tsan:
	$(MAKE) BUILD=build/tsan OPT=-O1 SAN="-fsanitize=thread -fno-omit-frame-pointer" build/tsan/tailgate
	TG_BIN=$(CURDIR)/build/tsan/tailgate tests/tsan/run

# libFuzzer targets: tests/fuzz/fuzz_<name>.c, corpus in tests/fuzz/corpus/<name>/.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_FLAGS   := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer

$(FUZZ_BUILD)/obj/%.o: %.c build/config.mk
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) $(PKG_CFLAGS) -O1 -g $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
	clang $(BASE_CFLAGS) $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
	  -o $@ $< $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(PKG_LIBS) -lm -lpthread

fuzz-build: $(FUZZ_BIN)

# Each target runs FUZZ_SECONDS on its corpus; a crash fails the target (its
# log and the crashing input stay in build/fuzz/).  Ends "fuzz: N passed, N failed".
fuzz: fuzz-build
	@p=0; f=0; for bin in $(FUZZ_BIN); do \
	  name=$${bin##*/fuzz_}; corpus=tests/fuzz/corpus/$$name; work=$(FUZZ_BUILD)/corpus/$$name; \
	  log=$(FUZZ_BUILD)/$$name.log; mkdir -p $$work; \
	  if $$bin -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/$$name- \
	       $$work $$corpus >$$log 2>&1; then \
	    p=$$((p + 1)); echo "ok   fuzz $$name: $$(grep -o 'stat::number_of_executed_units: *[0-9]*' $$log | grep -o '[0-9]*$$') executions in $(FUZZ_SECONDS) s"; \
	  else f=$$((f + 1)); echo "FAIL fuzz $$name (see $$log)"; tail -n 30 $$log; fi; \
	done; echo "fuzz: $$p passed, $$f failed"; [ $$f -eq 0 ]

# Micro-benchmarks of the hot paths (bench/micro.c: figures, never a test),
# then the load benchmarks against nginx and wrk (bench/run), then the
# streaming clients' event times against the server's (bench/stream-fidelity).
$(BUILD)/bench/micro: bench/micro.c $(LIB) build/config.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench: tailgate $(BUILD)/bench/micro
	$(BUILD)/bench/micro
	bench/run
	bench/stream-fidelity

# coverage: the whole suite on a gcov-instrumented build (build/coverage), then
# lcov over src/ only: an HTML report in build/coverage/html and, last, one
# line "lines: NN.N% functions: NN.N%".  A failing test does not stop the
# report (its log is build/coverage/tests.log; the runner's verdict line is
# printed).  Installs Debian's lcov on first use (only this target needs it).
coverage:
	@command -v lcov >/dev/null 2>&1 && command -v genhtml >/dev/null 2>&1 || { \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "coverage: installing lcov: $$sudo apt-get install -y --no-install-recommends lcov" >&2; \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends lcov >&2 || \
	  { $$sudo apt-get update -qq >&2 && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends lcov >&2; } || \
	  { echo "coverage: cannot install lcov" >&2; exit 2; }; }
	$(MAKE) --no-print-directory BUILD=build/coverage OPT=-O0 SAN=--coverage build/coverage/tailgate unit-tests
	@find build/coverage -name '*.gcda' -delete
	@TG_BIN=$(CURDIR)/build/coverage/tailgate TG_TESTBIN=$(CURDIR)/build/coverage/tests TG_SANITIZED=1 TG_COVERAGE=1 \
	  tests/run >build/coverage/tests.log 2>&1; echo "coverage: tests: $$(tail -n 1 build/coverage/tests.log)"
	@lcov --quiet --capture --directory build/coverage --output-file build/coverage/all.info 2>/dev/null
	@lcov --quiet --extract build/coverage/all.info '$(CURDIR)/src/*' --output-file build/coverage/src.info 2>/dev/null
	@genhtml --quiet --output-directory build/coverage/html build/coverage/src.info >/dev/null 2>&1
	@lcov --summary build/coverage/src.info 2>&1 | awk '/lines\.*:/ {l=$$2} /functions\.*:/ {f=$$2} \
	  END {print "coverage report: build/coverage/html/index.html"; print "lines: " l " functions: " f}'

# check-report: renders the report of tests/data/report in headless Chromium to
# build/report.png (1280 px wide) for a visual check.  Installs the Debian
# package chromium on first use (only this target needs it).
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync
.PHONY: check-report
check-report: tailgate
	@command -v chromium >/dev/null 2>&1 || { \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "check-report: installing chromium: $$sudo apt-get install -y --no-install-recommends chromium" >&2; \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends chromium >&2 || \
	  { $$sudo apt-get update -qq >&2 && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends chromium >&2; } || \
	  { echo "check-report: cannot install chromium" >&2; exit 2; }; }
	@rm -rf build/check-report && mkdir -p build/check-report && cp -r tests/data/report build/check-report/runs
	./tailgate report -o build/check-report/report.html build/check-report/runs/before build/check-report/runs/after
	@rm -f build/report.png; profile=$$(mktemp -d); \
	timeout 120 chromium $(CHROMIUM_FLAGS) --user-data-dir=$$profile --window-size=1280,2400 \
	  --screenshot=$(CURDIR)/build/report.png file://$(CURDIR)/build/check-report/report.html \
	  >build/check-report/chromium.log 2>&1; rc=$$?; rm -rf $$profile; \
	test -s build/report.png || { echo "check-report: no screenshot (chromium exit $$rc):" >&2; \
	  tail -n 5 build/check-report/chromium.log >&2; exit 1; }
	@echo "check-report: build/report.png (report: build/check-report/report.html)"

# Man pages and completion come from the built binary: each subcommand's
# --help text and getopt table (tailgate help; src/cli/help.c), one page per
# entry of the subcommand table plus tailgate(1).
MAN_DIR := $(BUILD)/man
man: $(MAN_DIR)/.stamp
$(MAN_DIR)/.stamp: $(BUILD)/tailgate
	@rm -rf $(MAN_DIR) && mkdir -p $(MAN_DIR)
	$(BUILD)/tailgate help --man > $(MAN_DIR)/tailgate.1
	@set -e; for c in $$($(BUILD)/tailgate help --commands); do \
	  echo "$(BUILD)/tailgate help --man $$c > $(MAN_DIR)/tailgate-$$c.1"; \
	  $(BUILD)/tailgate help --man $$c > $(MAN_DIR)/tailgate-$$c.1; done
	@touch $@

completion: $(BUILD)/completion/tailgate
$(BUILD)/completion/tailgate: $(BUILD)/tailgate
	@mkdir -p $(dir $@)
	$(BUILD)/tailgate help --completion bash > $@.tmp && mv $@.tmp $@

install: $(BUILD)/tailgate man completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(DATADIR)/workload $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/tailgate $(DESTDIR)$(BINDIR)/tailgate
	install -m 0644 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/
	install -m 0644 $(BUILD)/completion/tailgate $(DESTDIR)$(BASHCOMPDIR)/tailgate
	install -m 0644 workload/*.jsonl $(DESTDIR)$(DATADIR)/workload/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tailgate $(DESTDIR)$(BASHCOMPDIR)/tailgate
	rm -f $(DESTDIR)$(MANDIR)/tailgate.1 $(DESTDIR)$(MANDIR)/tailgate-*.1
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build tailgate

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
