# OptiOS - one non-recursive Makefile. Objects go under $(BUILD).
#
#   make all     kernel ELF + hybrid BIOS/UEFI ISO
#   make run     boot the ISO in QEMU (window if there is a display, else serial)
#   make test    host unit tests, in-kernel self-tests, QEMU system tests
#   make bench   the handler benchmark (figures under -icount, build/bench.json)
#   make clean
#
# Cross builds: make TOOLPREFIX=x86_64-elf-   (or CC=..., LD=...)

BUILD ?= build
TOOLPREFIX ?=
CC := $(if $(filter default,$(origin CC)),$(TOOLPREFIX)gcc,$(CC))
LD := $(if $(filter default,$(origin LD)),$(TOOLPREFIX)ld,$(LD))
NM ?= $(TOOLPREFIX)nm
OBJCOPY ?= $(TOOLPREFIX)objcopy
HOSTCC ?= cc
PYTHON ?= python3
GRUB_MKRESCUE ?= $(shell command -v grub-mkrescue || command -v grub2-mkrescue || command -v i686-elf-grub-mkrescue || echo grub-mkrescue)
QEMU ?= qemu-system-x86_64
KDEBUG ?= 1

# The freestanding flag set, written once.
KCFLAGS := -std=gnu11 -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer \
	-fno-optimize-sibling-calls -fno-asynchronous-unwind-tables -fcf-protection=none \
	-O2 -g -Wall -Wextra -Werror -MMD -MP \
	-I. -Iinclude -Iarch/x86_64 -DKERNEL $(if $(filter 1,$(KDEBUG)),-DKDEBUG)
KLDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack -T arch/x86_64/kernel.ld

KSRCS := $(sort $(shell find arch/x86_64 kernel drivers lib -name '*.c' -o -name '*.S'))
KOBJS := $(patsubst %,$(BUILD)/k/%.o,$(KSRCS))

HOSTCFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -I. -Iinclude -Itests/host -DHOST_TEST -MMD -MP
# Kernel code that needs no hardware, also built for the host unit tests:
# every kernel-side source that says so in its opening comment with a line
# " * Host-buildable: ..." (no list to keep). The kernel functions such code
# calls are faked in one file, tests/host/stubs.c.
HOST_SRCS := $(shell grep -l '^ \* Host-buildable' $(filter %.c,$(KSRCS)))
HOST_TESTS := $(sort $(wildcard tests/host/*.c))
HOST_OBJS := $(patsubst %,$(BUILD)/host/%.o,$(HOST_SRCS) $(HOST_TESTS))
# Real-world inputs for the host tests (a musl-gcc -static binary, a GNU cpio
# archive), made when the tools exist; the tests fail if a tool exists but its file does not.
HOST_DATA := $(BUILD)/host/data
HOST_HAVE_MUSL := $(if $(shell command -v musl-gcc),1,0)
HOST_HAVE_CPIO := $(if $(shell command -v cpio),1,0)
HOSTCFLAGS += -DHOST_DATA_DIR='"$(abspath $(HOST_DATA))"' -DHOST_HAVE_MUSL=$(HOST_HAVE_MUSL) \
	-DHOST_HAVE_CPIO=$(HOST_HAVE_CPIO)
HOST_DATA_FILES := $(if $(filter 1,$(HOST_HAVE_MUSL)),$(HOST_DATA)/musl_static.elf \
		$(HOST_DATA)/musl_manifest.elf $(HOST_DATA)/musl_nomanifest.elf) \
	$(if $(filter 1,$(HOST_HAVE_CPIO)),$(HOST_DATA)/tree.cpio)

FORCE:
.PHONY: FORCE all kernel iso run run-serial test test-host deps clean fuzz fuzz-smoke fuzz-build bench
all: $(BUILD)/kernel.elf $(BUILD)/rootfs.cpio $(BUILD)/optios.iso

kernel: $(BUILD)/kernel.elf

$(BUILD)/k/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@

# Two link passes: the first without symbols, the second with the symbol
# table generated from the first. .ksyms lives after .text, so no function
# moves between the passes (checked below).
$(BUILD)/tools/mksyms: tools/mksyms.c
	@mkdir -p $(@D)
	$(HOSTCC) -O2 -Wall -o $@ $<

$(BUILD)/ksyms0.c: $(BUILD)/tools/mksyms
	$(BUILD)/tools/mksyms < /dev/null > $@

# The object list itself is a prerequisite: deleting a source relinks.
$(BUILD)/kobjs.list: FORCE
	@mkdir -p $(@D)
	@echo $(KOBJS) | cmp -s - $@ || echo $(KOBJS) > $@

$(BUILD)/kernel.pass1.elf: $(KOBJS) $(BUILD)/ksyms0.c.o arch/x86_64/kernel.ld $(BUILD)/kobjs.list
	$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms0.c.o

$(BUILD)/ksyms.c: $(BUILD)/kernel.pass1.elf $(BUILD)/tools/mksyms
	$(NM) -n $< | $(BUILD)/tools/mksyms > $@

$(BUILD)/%.c.o: $(BUILD)/%.c
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/kernel.elf: $(KOBJS) $(BUILD)/ksyms.c.o arch/x86_64/kernel.ld $(BUILD)/kobjs.list
	$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms.c.o
	@$(NM) -n $(BUILD)/kernel.pass1.elf | grep ' [tT] ' > $(BUILD)/text1.syms
	@$(NM) -n $@ | grep ' [tT] ' > $(BUILD)/text2.syms
	@cmp -s $(BUILD)/text1.syms $(BUILD)/text2.syms || { echo "symbol pass moved .text"; rm -f $@; exit 1; }

$(BUILD)/optios.iso: $(BUILD)/kernel.elf $(BUILD)/rootfs.cpio tools/iso/grub.cfg
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	cp $(BUILD)/kernel.elf $(BUILD)/iso/boot/kernel.elf
	cp $(BUILD)/rootfs.cpio $(BUILD)/iso/boot/rootfs.cpio
	cp tools/iso/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	$(GRUB_MKRESCUE) -o $@ $(BUILD)/iso 2> $(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---- user programs and the root file system image ----
# user/bin/NAME.c becomes /bin/NAME, user/test/NAME.c becomes /test/NAME
# (programs the system tests run); rootfs/ is copied as is; EXTRA=dir adds a
# directory's contents on top, keeping paths (dir/bin/x becomes /bin/x).
MUSL_GCC ?= musl-gcc
UCFLAGS := -std=gnu11 -static -O2 -g -Wall -Wextra -Werror -Isdk/include -Iinclude
USER_SRCS := $(sort $(wildcard user/bin/*.c user/test/*.c))
USER_BINS := $(patsubst user/%.c,$(BUILD)/rootfs/%,$(USER_SRCS))
ROOTFS_FILES := $(shell find rootfs -type f 2>/dev/null)
EXTRA ?=

# Every program carries NAME.manifest, if there is one, in its manifest
# section (not loaded: the kernel reads it from the file). Handlers -
# apps/NAME.c becomes /apps/NAME, user/test/handlers/NAME.c becomes
# /test/handlers/NAME - are also linked with the SDK's main
# (sdk/lib/handler_main.c). A .c may #include a sibling's.
HANDLER_SRCS := $(sort $(wildcard apps/*.c user/test/handlers/*.c))
USER_DEPS := $(wildcard sdk/include/*.h sdk/include/optios/*.h include/optios/abi/* user/test/*.h)
HANDLER_MAIN := sdk/lib/handler_main.c
# $(call EMBED_MANIFEST,text,elf): puts text in the ELF's manifest section, not loaded.
EMBED_MANIFEST = $(OBJCOPY) --add-section .optios.manifest=$(1) --set-section-flags .optios.manifest=noload,readonly $(2)
program_bin = $(BUILD)/rootfs/$(patsubst user/%,%,$(1:.c=))
HANDLER_BINS := $(foreach s,$(HANDLER_SRCS),$(call program_bin,$(s)))

# The log tool checks the audit chain with the kernel's own code: a
# program's extra sources are LIBS_<its source>.
LIBS_user/bin/log.c := lib/logchain.c lib/sha256.c
$(BUILD)/rootfs/bin/log: UCFLAGS += -I.
$(BUILD)/rootfs/bin/log: lib/logchain.h lib/sha256.h lib/lib.h

# $(call PROGRAM_RULE,source,extra sources,label): one program and its manifest.
define PROGRAM_RULE
$(call program_bin,$(1)): $(1) $(wildcard $(1:.c=.manifest)) $(2) $(LIBS_$(1)) $(USER_DEPS)
	@mkdir -p $$(@D)
	@echo "  $(3) $$<"
	@$$(MUSL_GCC) $$(UCFLAGS) -o $$@.tmp $$< $(2) $(LIBS_$(1))
	@$(if $(wildcard $(1:.c=.manifest)),$$(call EMBED_MANIFEST,$(1:.c=.manifest),$$@.tmp))
	@mv $$@.tmp $$@
endef
$(foreach s,$(USER_SRCS),$(eval $(call PROGRAM_RULE,$(s),,MUSL   )))
$(foreach s,$(HANDLER_SRCS),$(eval $(call PROGRAM_RULE,$(s),$(HANDLER_MAIN),HANDLER)))
$(BUILD)/rootfs/test/handlers/counter2: apps/counter.c
$(BUILD)/rootfs/test/handlers/storm_c $(BUILD)/rootfs/test/handlers/storm_l: user/test/handlers/storm.c
$(patsubst %,$(BUILD)/rootfs/test/probe_%,files events admin): user/test/probe.c
# A manifest edited after the build (tests/system/test_hostile.py): hostile_edit
# with its manifest section replaced by one asking for more.
HANDLER_BINS += $(BUILD)/rootfs/test/handlers/hostile_edited
$(BUILD)/rootfs/test/handlers/hostile_edited: $(BUILD)/rootfs/test/handlers/hostile_edit
	@echo "  EDIT    $@"
	@{ cat user/test/handlers/hostile_edit.manifest; echo "output file.write:/data/"; } > $(BUILD)/hostile_edited.manifest
	@$(OBJCOPY) --update-section .optios.manifest=$(BUILD)/hostile_edited.manifest $< $@.tmp
	@mv $@.tmp $@
# Damaged manifests (tests/system/test_programs.py): /test/proc_hello with its
# manifest section broken four ways - a bad line; a second section of that
# name; the file cut inside the section (section headers gone); the
# section's size reaching past the end of the file.
DAMAGED := $(patsubst %,$(BUILD)/rootfs/test/damaged_%,line twice cut bounds)
HELLO := $(BUILD)/rootfs/test/proc_hello
USER_BINS += $(DAMAGED)
manifest_offset = $$(( 0x$$(readelf -S -W $(1) | sed -n 's/.* \.optios\.manifest *[A-Z]* *[0-9a-f]* \([0-9a-f]*\) .*/\1/p') ))
manifest_index = $$(readelf -S -W $(1) | sed -n 's/^ *\[ *\([0-9]*\)\] \.optios\.manifest .*/\1/p')
$(BUILD)/rootfs/test/damaged_line: $(HELLO) user/test/proc_hello.manifest
	@{ cat user/test/proc_hello.manifest; echo "frobnicate yes"; } > $(BUILD)/damaged_line.manifest
	@$(OBJCOPY) --update-section .optios.manifest=$(BUILD)/damaged_line.manifest $< $@.tmp && mv $@.tmp $@
$(BUILD)/rootfs/test/damaged_twice: $(HELLO)
	@$(OBJCOPY) --rename-section .comment=.optios.manifest $< $@.tmp && mv $@.tmp $@
$(BUILD)/rootfs/test/damaged_cut: $(HELLO)
	@head -c $$(( $(call manifest_offset,$<) + 20 )) $< > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
$(BUILD)/rootfs/test/damaged_bounds: $(HELLO)
	@cp $< $@.tmp && shoff=$$(readelf -h $< | sed -n 's/.*Start of section headers: *\([0-9]*\).*/\1/p') && \
	printf '\000\000\000\001\000\000\000\000' | dd of=$@.tmp bs=1 conv=notrunc status=none \
		seek=$$(( shoff + $(call manifest_index,$<) * 64 + 32 )) && mv $@.tmp $@

# A timer storm (tests/system/test_sched.py): tick01..tick30 are tick with
# its manifest's name (and so its timer's topic) changed.
TICK_COPIES := $(patsubst %,$(BUILD)/rootfs/test/handlers/tick%,$(shell seq -w 1 30))
HANDLER_BINS += $(TICK_COPIES)
$(TICK_COPIES): $(BUILD)/rootfs/test/handlers/tick%: $(BUILD)/rootfs/test/handlers/tick
	@sed 's/tick/tick$*/g' user/test/handlers/tick.manifest > $(BUILD)/tick$*.manifest
	@$(OBJCOPY) --update-section .optios.manifest=$(BUILD)/tick$*.manifest $< $@.tmp
	@mv $@.tmp $@

# The policy tool: the static policy questions on an image tree, with the
# kernel's own manifest reading and lib/policy.c (tools/policy.c).
POLICY_TOOL_SRCS := tools/policy.c lib/policy.c lib/topic.c lib/span.c lib/manifest.c lib/fmt.c \
	lib/sha256.c kernel/exec/elf.c kernel/exec/identity.c
all: $(BUILD)/tools/policy
$(BUILD)/tools/policy: $(POLICY_TOOL_SRCS) $(wildcard lib/*.h kernel/exec/*.h include/optios/abi/*.h)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -Iinclude -DHOST_TEST -o $@ $(POLICY_TOOL_SRCS)

# The compat test program built for the host Linux: tests/system/test_shell.py
# compares its output with the same program's on OptiOS.
all: $(BUILD)/host-compat
$(BUILD)/host-compat: user/test/compat.c
	@mkdir -p $(@D)
	@echo "  MUSL    $@"
	@$(MUSL_GCC) $(UCFLAGS) -o $@ $<

# The image is rebuilt when any input changes (EXTRA's contents included).
$(BUILD)/rootfs.cpio: $(USER_BINS) $(HANDLER_BINS) $(ROOTFS_FILES) $(if $(EXTRA),$(shell find $(EXTRA) 2>/dev/null)) FORCE
	@rm -rf $(BUILD)/rootfs.tree && mkdir -p $(BUILD)/rootfs.tree
	@cp -R rootfs/. $(BUILD)/rootfs.tree/
	@cp -R $(BUILD)/rootfs/. $(BUILD)/rootfs.tree/
	@$(if $(EXTRA),cp -R $(EXTRA)/. $(BUILD)/rootfs.tree/)
	@find $(BUILD)/rootfs.tree -name .keep -delete
	@(cd $(BUILD)/rootfs.tree && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || { mv $@.tmp $@; echo "  CPIO    $@"; }

# The same kernel and image with optios.test=all on GRUB's command line: the
# self-tests under real firmware (SeaBIOS, OVMF) with a framebuffer.
$(BUILD)/optios-selftest.iso: $(BUILD)/optios.iso
	@rm -rf $(BUILD)/iso-selftest && cp -R $(BUILD)/iso $(BUILD)/iso-selftest
	@sed -i 's|optios.boot=iso|optios.boot=iso optios.test=all|' $(BUILD)/iso-selftest/boot/grub/grub.cfg
	@grep -q 'optios.test=all' $(BUILD)/iso-selftest/boot/grub/grub.cfg
	@$(GRUB_MKRESCUE) -o $@ $(BUILD)/iso-selftest 2> $(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---- host unit tests ----
$(BUILD)/host/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOSTCFLAGS) -c $< -o $@

$(BUILD)/host/unit: $(HOST_OBJS)
	@echo "  LINK    $@"
	@$(HOSTCC) $(HOSTCFLAGS) -o $@ $^

$(BUILD)/host/unit: | $(HOST_DATA_FILES)

$(HOST_DATA)/musl_static.elf: tests/host/data/musl_hello.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 -o $@ $<

# The same program with its section renamed (no manifest), or renamed and a
# real manifest added the way the handlers get theirs.
$(HOST_DATA)/musl_nomanifest.elf: $(HOST_DATA)/musl_static.elf
	$(OBJCOPY) --rename-section .optios.manifest=.old.manifest $< $@

$(HOST_DATA)/musl_manifest.elf: $(HOST_DATA)/musl_nomanifest.elf tests/host/data/hello.manifest
	cp $< $@.tmp && $(call EMBED_MANIFEST,tests/host/data/hello.manifest,$@.tmp) && mv $@.tmp $@

$(HOST_DATA)/tree.cpio: tests/host/data/mktree.sh $(shell find tests/host/data/tree -type f)
	@mkdir -p $(@D)
	tests/host/data/mktree.sh tests/host/data/tree $(HOST_DATA)/tree $@

test-host: $(BUILD)/host/unit
	$(BUILD)/host/unit

# ---- fuzzing: libFuzzer targets for the parsers of hostile input (clang) ----
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_TARGETS := elf cpio path conf manifest policy
FUZZ_LIB_SRCS := kernel/exec/elf.c kernel/fs/cpio.c kernel/fs/path.c kernel/conf/conf.c lib/fmt.c lib/manifest.c lib/topic.c lib/span.c lib/policy.c
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -I. -Iinclude -DHOST_TEST
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_SRCS) $(wildcard kernel/*/*.h kernel/conf/*.def lib/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# ---- running and testing ----
deps:
	@tools/check-deps.sh

QEMU_DEVICES := -m 256M -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -device pvpanic

run: deps all
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "OptiOS: QEMU window + serial console here (Ctrl+A X quits)"; \
		$(QEMU) -cdrom $(BUILD)/optios.iso $(QEMU_DEVICES) -serial mon:stdio; \
	else \
		echo "OptiOS: serial console (no display found; Ctrl+A X quits)"; \
		$(QEMU) -cdrom $(BUILD)/optios.iso $(QEMU_DEVICES) -display none -serial mon:stdio; \
	fi

# The build's output goes to a log (shown only if the build fails), so the
# test results - and their "N passed, M failed" last line - stand alone.
# Options for tests/run.py: make test TEST_ARGS="-k boot --only system"
test: deps
	@mkdir -p $(BUILD)
	@echo "  BUILD   kernel, ISO, host tests (log: $(BUILD)/build.log)"
	@$(MAKE) --no-print-directory all $(BUILD)/optios-selftest.iso $(BUILD)/host/unit fuzz-build > $(BUILD)/build.log 2>&1 || \
		{ cat $(BUILD)/build.log; echo "build failed"; exit 1; }
	@$(PYTHON) tests/run.py --build $(BUILD) $(TEST_ARGS)

# The handler benchmark (tools/bench.py): deterministic figures under -icount,
# a table and $(BUILD)/bench.json. Not part of make test.
bench: $(BUILD)/kernel.elf $(BUILD)/rootfs.cpio
	@$(PYTHON) tools/bench.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
