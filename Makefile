# Makefile - the ops toolkit: lib/ into build/libops.a, cmd/NAME/ into bin/NAME
#
#   make              build every command into bin/
#   make check        install missing packages, build, lint man pages, run every test
#   make SANITIZE=1 check   the same under AddressSanitizer + UBSan
#   make VALGRIND=1 check   commands and unit tests under valgrind
#   make fuzz         libFuzzer targets (clang) in build/fuzz/
#   make bench        benchmarks against the tools users would otherwise use
#   make demo         install missing packages, build, run the toolkit on an example
#   make install PREFIX=/usr DESTDIR=...

include config.mk

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(WARN) $(CFLAGS) $(HARDEN) $(SAN) -pthread -iquote lib $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(HARDEN_LD) $(SAN) $(LDFLAGS) -Wl,--as-needed
LIBS = $(PKG_LIBS) -lm -pthread

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=build/%.o)
# a command is a folder of cmd/ with a main.c
CMDS := $(notdir $(patsubst %/main.c,%,$(wildcard cmd/*/main.c)))
BINS := $(CMDS:%=bin/%)
CMD_OBJ := $(patsubst %.c,build/%.o,$(wildcard cmd/*/*.c))
# every object of cmd/ except main.o: parsers unit tests and fuzz targets link
CMD_PARTS := $(filter-out %/main.o,$(CMD_OBJ))
UNIT_SRC := $(wildcard tests/unit/t-*.c)
UNIT_T := $(UNIT_SRC:tests/unit/%.c=build/tests/unit/%.t)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
REPLAY_T := $(FUZZ_SRC:tests/fuzz/fuzz-%.c=build/tests/fuzz/replay-%.t)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/fuzz-%.c=build/fuzz/fuzz-%)
HELPER := $(if $(wildcard tests/helper/ops-test-tool.c),build/tests/ops-test-tool)
E2E_T := $(wildcard tests/e2e/*.t)
MAN := $(wildcard man/*.[1-9])

all: $(BINS)

# Rebuild everything when the flags change (SANITIZE=1 after a plain build).
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
build/flags: FORCE
	@mkdir -p build
	@if [ "$$(cat $@ 2>/dev/null)" != "$(FLAGS_NOW)" ]; then \
		printf '%s\n' "$(FLAGS_NOW)" >$@; fi

build/%.o: %.c build/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/libops.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

define cmd_rule
bin/$(1): $(filter build/cmd/$(1)/%,$(CMD_OBJ)) build/libops.a
	@mkdir -p bin
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) build/libops.a $$(LIBS)
endef
$(foreach c,$(CMDS),$(eval $(call cmd_rule,$(c))))

build/tests/unit/%.t: build/tests/unit/%.o build/tests/tap.o build/tests/scratch.o $(CMD_PARTS) build/libops.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) build/libops.a $(LIBS)

build/tests/unit/%.o: tests/unit/%.c build/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote tests -c -o $@ $<

build/tests/%.o: tests/%.c build/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote tests -c -o $@ $<

build/tests/fuzz/%.o: tests/fuzz/%.c build/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote tests -c -o $@ $<

build/tests/fuzz/replay-%.t: build/tests/fuzz/fuzz-%.o build/tests/fuzz/replay.o $(CMD_PARTS) build/libops.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) build/libops.a $(LIBS)

$(HELPER): build/tests/helper/ops-test-tool.o $(CMD_PARTS) build/libops.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) build/libops.a $(LIBS)

build/tests/helper/%.o: tests/helper/%.c build/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote tests -c -o $@ $<

tests: $(UNIT_T) $(REPLAY_T) $(HELPER)

deps:
	@contrib/install-deps

# prove runs compiled tests directly and shell tests by their #! line.
PROVE_JOBS ?= 2
check: deps
	@$(MAKE) --no-print-directory all tests
	@$(MAKE) --no-print-directory manlint
	@$(MAKE) --no-print-directory clang-syntax
	VALGRIND=$(VALGRIND) prove --exec tests/run-test -j$(PROVE_JOBS) $(UNIT_T) $(REPLAY_T) $(E2E_T)

# Every C file must also compile without a warning under clang.
clang-syntax:
	@for f in $(LIB_SRC) $(wildcard cmd/*/*.c tests/*.c tests/unit/*.c tests/fuzz/*.c tests/helper/*.c); do \
		clang $(WARN) -O2 -D_FORTIFY_SOURCE=3 -iquote lib -iquote tests $(PKG_CFLAGS) -fsyntax-only $$f || exit 1; done

manlint:
	@out=$$(mandoc -Tlint -Wwarning $(MAN) 2>&1); \
	if [ -n "$$out" ]; then printf '%s\n' "$$out"; exit 1; fi

# libFuzzer targets: clang only, sanitizers on, no hardening flags.
FUZZ_CFLAGS = -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -iquote lib -iquote tests $(PKG_CFLAGS)
fuzz: $(FUZZ_BIN)
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(LIB_SRC) $(filter-out %/main.c,$(wildcard cmd/*/*.c))
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(filter-out %/main.c,$(wildcard cmd/*/*.c)) $(LIBS)

bench: all
	@contrib/bench/run

demo: deps
	@$(MAKE) --no-print-directory all
	@contrib/demo/run

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	for m in $(MAN); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

clean:
	rm -rf build bin

FORCE:
.PHONY: all tests deps check clang-syntax manlint fuzz bench demo install clean FORCE

-include $(wildcard build/*/*.d build/*/*/*.d build/*/*/*/*.d)
.SECONDARY:
