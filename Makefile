# OptiOS - one non-recursive Makefile. Objects go under $(BUILD).
#
#   make all     kernel ELF, the user's root image + hybrid BIOS/UEFI ISO, and the
#                test image + ISO (the user's plus test programs)
#   make run     boot the ISO in QEMU (window if there is a display, else serial)
#   make test    host unit tests, in-kernel self-tests, QEMU system tests (on
#                the test image: the user's plus test programs and grants)
#   make bench   the handler benchmark (figures under -icount, build/bench.json)
#   make profile KEY=name   where one bench figure's instructions go (per function)
#   make busybox-test  BusyBox's own test suite on the Linux host and on OptiOS
#                (same binary), counts side by side (docs/USERLAND.md)
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

# lwIP (kernel/inet is its port, docs/NETWORK.md): Debian's source package,
# fetched by tools/fetch-source.sh (pinned in tools/deps.lock) into
# $(BUILD)/deps/, never committed; compiled freestanding with the kernel's
# flags, our lwipopts.h and arch/cc.h first on the include path
# (kernel/inet/port), <string.h> being lib/'s (kernel/inet/port/libc).
# Only kernel/inet includes lwIP's headers (tools/includes.allowed).
LWIP_DIR = $(shell tools/fetch-source.sh --build $(BUILD) --dir lwip)
LWIP_STAMP := $(BUILD)/lwip/fetched
LWIP_SRCS := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/udp.c core/timeouts.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c netif/ethernet.c
LWIP_OBJS := $(patsubst %,$(BUILD)/lwip/%.o,$(LWIP_SRCS))
LWIP_INC = -Ikernel/inet/port -I$(LWIP_DIR)/src/include
KOBJS += $(LWIP_OBJS)

$(LWIP_STAMP): tools/deps.lock tools/fetch-source.sh
	@mkdir -p $(@D)
	@tools/fetch-source.sh --build $(BUILD) lwip
	@touch $@

$(BUILD)/lwip/%.c.o: $(LWIP_STAMP) $(wildcard kernel/inet/port/*.h kernel/inet/port/*/*.h)
	@mkdir -p $(@D)
	@echo "  CC      lwip/$*.c"
	@$(CC) $(KCFLAGS) $(LWIP_INC) -Ikernel/inet/port/libc -c $(LWIP_DIR)/src/$*.c -o $@

# The port's objects wait for the fetch: named one by one, since a pattern
# rule without a recipe adds no prerequisite (it did not: a build without
# $(BUILD)/lwip/fetched compiled kernel/inet first and found no lwip/opt.h).
$(BUILD)/k/kernel/inet/%.c.o: KCFLAGS += $(LWIP_INC)
$(patsubst %,$(BUILD)/k/%.o,$(filter kernel/inet/%,$(KSRCS))): $(LWIP_STAMP)

HOSTCFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -I. -Iinclude -Itests/host -DHOST_TEST -MMD -MP
# Kernel code that needs no hardware, also built for the host unit tests:
# every kernel-side source that says so in its opening comment with a line
# " * Host-buildable: ..." (no list to keep). The kernel functions such code
# calls are faked in one file, tests/host/stubs.c.
HOST_SRCS := $(shell grep -l '^ \* Host-buildable' $(filter %.c,$(KSRCS)))
# Apps' pure parts (apps/NAME/*.c: a parser, a renderer) say so the same way.
HOST_SRCS += $(shell grep -l '^ \* Host-buildable' $(wildcard apps/*/*.c))
HOST_SRCS += apps/airwatch/air.c
HOST_TESTS := $(sort $(wildcard tests/host/*.c))
HOST_OBJS := $(patsubst %,$(BUILD)/host/%.o,$(HOST_SRCS) $(HOST_TESTS))
# Real-world inputs for the host tests (a musl-gcc -static binary, a GNU cpio
# archive), made when the tools exist; the tests fail if a tool exists but its file does not.
HOST_DATA := $(BUILD)/host/data
HOST_HAVE_MUSL := $(if $(shell command -v musl-gcc),1,0)
HOST_HAVE_CPIO := $(if $(shell command -v cpio),1,0)
HOSTCFLAGS += -DHOST_DATA_DIR='"$(abspath $(HOST_DATA))"' -DSOURCE_DIR='"$(abspath .)"' -DHOST_HAVE_MUSL=$(HOST_HAVE_MUSL) \
	-DHOST_HAVE_CPIO=$(HOST_HAVE_CPIO)
HOST_DATA_FILES := $(if $(filter 1,$(HOST_HAVE_MUSL)),$(HOST_DATA)/musl_static.elf \
		$(HOST_DATA)/musl_manifest.elf $(HOST_DATA)/musl_nomanifest.elf) \
	$(if $(filter 1,$(HOST_HAVE_CPIO)),$(HOST_DATA)/tree.cpio)

FORCE:
.PHONY: FORCE all kernel iso run run-serial test test-host crashtest crashtest-host deps clean fuzz fuzz-smoke fuzz-build bench profile busybox-test
# all: the kernel, the user's image and ISO, the test image and ISO (below).
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

# ---- user programs and the root file system images ----
# Two images. $(BUILD)/rootfs.cpio, what `make run` boots, holds what a user
# needs: user/bin/NAME.c becomes /bin/NAME, apps/NAME.c /apps/NAME (the
# example handlers), rootfs/ is copied as is, and EXTRA=dir lays a
# directory's contents on top, keeping paths (dir/bin/x becomes /bin/x).
# $(BUILD)/rootfs-test.cpio, what the tests boot, is that image plus the test
# overlay: user/test/NAME.c becomes /test/NAME, user/test/handlers/NAME.c
# /test/handlers/NAME, and tests/rootfs/ adds the test programs' grants
# (/etc/policy.d/test.policy). Their trees stay in $(BUILD)/rootfs.tree and
# $(BUILD)/rootfs-test.tree for the host policy tool.
#
# Every program is built with the SDK's command, sdk/bin/optios-cc, the way a
# program written outside the tree is: NAME.manifest beside NAME.c is checked
# with the kernel's parser and embedded; handlers are linked with the SDK's
# main (sdk/lib/handler_main.c). A .c may #include a sibling's.
MUSL_GCC ?= musl-gcc
OPTIOS_CC := sdk/bin/optios-cc
MANIFEST_CHECK := $(BUILD)/tools/manifest-check
OPTIOS_CC_RUN := MUSL_GCC="$(MUSL_GCC)" OBJCOPY="$(OBJCOPY)" OPTIOS_MANIFEST_CHECK=$(MANIFEST_CHECK) $(OPTIOS_CC)
UCFLAGS := -Werror # on top of optios-cc's own flags
USER_DEPS := $(wildcard sdk/include/*.h sdk/include/optios/*.h include/optios/abi/* user/test/*.h) \
	$(OPTIOS_CC) sdk/lib/handler_main.c $(MANIFEST_CHECK)
PROGRAM_SRCS := $(sort $(wildcard user/bin/*.c user/test/*.c))
HANDLER_SRCS := $(sort $(wildcard apps/*.c user/test/handlers/*.c))
# Test programs that must have no manifest (what the kernel does then).
NO_MANIFEST := user/test/hostile_nomanifest.c user/test/permprobe.c
ROOTFS_FILES := $(shell find rootfs -type f 2>/dev/null)
TEST_ROOTFS_FILES := $(shell find tests/rootfs -type f 2>/dev/null)
EXTRA ?=
ifneq ($(EXTRA),)
ifeq ($(wildcard $(EXTRA)/.),)
$(error EXTRA=$(EXTRA): no such directory (with make -C, give an absolute path: EXTRA=$$PWD/dir))
endif
endif

# Where a source's program is built: test programs apart, for the test overlay.
program_bin = $(if $(filter user/test/%,$(1)),$(BUILD)/rootfs-test,$(BUILD)/rootfs)/$(patsubst user/%,%,$(1:.c=))
USER_BINS := $(foreach s,$(filter-out user/test/%,$(PROGRAM_SRCS) $(HANDLER_SRCS)),$(call program_bin,$(s)))
TEST_BINS := $(foreach s,$(filter user/test/%,$(PROGRAM_SRCS) $(HANDLER_SRCS)),$(call program_bin,$(s)))

# $(call FETCH_RULE,package,stamp): fetch once, again when the lock changes.
define FETCH_RULE
$(2): tools/deps.lock tools/fetch-source.sh
	@mkdir -p $$(@D)
	@tools/fetch-source.sh --build $(BUILD) $(1)
	@touch $$@
endef

# BusyBox (user/busybox/, docs/USERLAND.md): Debian's source package, fetched
# by tools/fetch-source.sh (pinned in tools/deps.lock) into $(BUILD)/deps/,
# configured from defconfig plus user/busybox/busybox.config, built static
# with musl-gcc in $(BB_OBJ) (BusyBox's own Kbuild; remade only when the
# source, the config or the compiler command changes), then its manifest
# embedded like optios-cc does. In the image: /bin/busybox, and every applet
# as a hard link in /usr/bin (the root image joins them: one copy of the bytes).
BB_CONFIG := user/busybox/busybox.config
BB_MANIFEST := user/busybox/busybox.manifest
BB_SRC = $(shell tools/fetch-source.sh --build $(BUILD) --dir busybox)
BB_OBJ := $(BUILD)/busybox/obj
BB_STAMP := $(BUILD)/busybox/fetched
BB_MAKE = $(MAKE) --no-print-directory -C $(BB_SRC) O=$(abspath $(BB_OBJ)) CC="$(MUSL_GCC)" HOSTCC="$(HOSTCC)" \
	EXTRA_CFLAGS="-isystem $(abspath $(BUILD))/busybox/kinc" KBUILD_VERBOSE=0
USER_BINS += $(BUILD)/rootfs/bin/busybox
all: $(BUILD)/busybox/applets

$(eval $(call FETCH_RULE,busybox,$(BB_STAMP)))

# musl-gcc has no Linux headers; BusyBox's applets include a few
# (<linux/...>, <asm/...>): the host's, and only those directories.
$(BUILD)/busybox/kinc: $(BB_STAMP)
	@rm -rf $@ && mkdir -p $@
	@for d in linux asm-generic mtd; do ln -s /usr/include/$$d $@/$$d; done
	@ln -s /usr/include/$$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/asm $@/asm

$(BB_OBJ)/.config: $(BB_CONFIG) $(BB_STAMP) | $(BUILD)/busybox/kinc
	@echo "  CONFIG  busybox (defconfig + $(BB_CONFIG))"
	@mkdir -p $(BB_OBJ)
	@$(BB_MAKE) defconfig > $(BUILD)/busybox/config.log 2>&1 || { cat $(BUILD)/busybox/config.log; exit 1; }
	@sed -n 's/^\(# \)*\(CONFIG_[A-Z0-9_]*\)[= ].*/\2/p' $(BB_CONFIG) | while read -r sym; do \
		sed -i.bak -e "/^$$sym=/d" -e "/^# $$sym is not set/d" $@; done
	@grep -E '^(CONFIG_|# CONFIG_)' $(BB_CONFIG) >> $@
	@yes '' | $(BB_MAKE) oldconfig >> $(BUILD)/busybox/config.log 2>&1 || { cat $(BUILD)/busybox/config.log; exit 1; }
	@sed -n 's/^\(# \)*\(CONFIG_[A-Z0-9_]*\)[= ].*/\2/p' $(BB_CONFIG) | while read -r sym; do \
		want=$$(grep -E "^(# )?$$sym[= ]" $(BB_CONFIG)); grep -qxF "$$want" $@ || \
		{ echo "busybox: $$sym did not stay as $(BB_CONFIG) says ($$want): a dependency overrides it"; exit 1; }; done

$(BB_OBJ)/busybox: $(BB_OBJ)/.config
	@echo "  BUSYBOX $(BB_SRC) (log: $(BUILD)/busybox/build.log)"
	@$(BB_MAKE) busybox > $(BUILD)/busybox/build.log 2>&1 || { tail -40 $(BUILD)/busybox/build.log; exit 1; }
	@touch $@

# $(call EMBED_MANIFEST,manifest): $< with the manifest embedded, as $@ (the
# way optios-cc does for our own programs), checked first with the kernel's parser.
EMBED_MANIFEST = echo "  MANIFEST $@" && mkdir -p $(@D) && $(MANIFEST_CHECK) --program $(1) && \
	$(OBJCOPY) --add-section .optios.manifest=$(1) --set-section-flags .optios.manifest=noload,readonly $< $@.tmp && \
	mv $@.tmp $@

$(BUILD)/rootfs/bin/busybox: $(BB_OBJ)/busybox $(BB_MANIFEST) $(MANIFEST_CHECK)
	@$(call EMBED_MANIFEST,$(BB_MANIFEST))

# The applet names (the static binary runs on the build host too).
$(BUILD)/busybox/applets: $(BB_OBJ)/busybox
	@$< --list | LC_ALL=C sort > $@.tmp && mv $@.tmp $@

# $(call BB_LINKS,tree): the applets as hard links /usr/bin/NAME to /bin/busybox.
BB_LINKS = mkdir -p $(1)/usr/bin && while read -r a; do ln -f $(1)/bin/busybox "$(1)/usr/bin/$$a"; done < $(BUILD)/busybox/applets

# Programs a user brings (user/lua/, user/sqlite/, docs/USERLAND.md): Lua 5.4
# and SQLite 3.40 from Debian's source packages, fetched like BusyBox, built
# static with musl-gcc and stripped, their manifests embedded. In the root
# image as /bin/lua and /bin/sqlite3 (in /bin: the policy queries list them).

# Lua: upstream's own file list (src/Makefile's CORE_O, LIB_O and lua.o),
# compiled as upstream's `posix` target does (LUA_USE_POSIX: popen, mkstemp;
# no dlopen, no readline), with Debian's LUA_COMPAT_5_3 and the header
# Debian's rules write for its module paths.
LUA_SRC = $(shell tools/fetch-source.sh --build $(BUILD) --dir lua5.4)
LUA_STAMP := $(BUILD)/lua/fetched
LUA_MODULES := lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate \
	lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib ldblib liolib lmathlib loadlib loslib \
	lstrlib ltablib lutf8lib linit lua
LUA_OBJS := $(LUA_MODULES:%=$(BUILD)/lua/obj/%.o)
LUA_CFLAGS := -std=gnu99 -O2 -Wall -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -I$(BUILD)/lua/inc
USER_BINS += $(BUILD)/rootfs/bin/lua
$(eval $(call FETCH_RULE,lua5.4,$(LUA_STAMP)))
$(LUA_STAMP): | $(BB_STAMP) # one fetch at a time: they share build/apt
$(BUILD)/lua/inc/lua5.4-deb-multiarch.h: $(LUA_STAMP)
	@mkdir -p $(@D)
	@printf '#define DEB_HOST_MULTIARCH "x86_64-linux-musl"\n' > $@
$(LUA_OBJS): $(BUILD)/lua/obj/%.o: $(LUA_STAMP) $(BUILD)/lua/inc/lua5.4-deb-multiarch.h
	@mkdir -p $(@D)
	@echo "  LUA     $*.c"
	@$(MUSL_GCC) $(LUA_CFLAGS) -c -o $@ $(LUA_SRC)/src/$*.c
$(BUILD)/lua/lua: $(LUA_OBJS)
	@$(MUSL_GCC) -static -s -o $@ $^ -lm
$(BUILD)/rootfs/bin/lua: $(BUILD)/lua/lua user/lua/lua.manifest $(MANIFEST_CHECK)
	@$(call EMBED_MANIFEST,user/lua/lua.manifest)

# SQLite: Debian's package is SQLite's source tree; its own configure and
# make write the amalgamation (sqlite3.c) and the shell's source (shell.c,
# tclsh generates both), which are then compiled as one program. Default
# settings: no SQLITE_ option changed (locking, sync, journal as shipped);
# HAVE_USLEEP as configure finds it (else its busy wait sleeps in seconds).
SQLITE_SRC = $(shell tools/fetch-source.sh --build $(BUILD) --dir sqlite3)
SQLITE_STAMP := $(BUILD)/sqlite/fetched
SQLITE_AMALG := $(BUILD)/sqlite/amalg
USER_BINS += $(BUILD)/rootfs/bin/sqlite3
$(eval $(call FETCH_RULE,sqlite3,$(SQLITE_STAMP)))
$(SQLITE_STAMP): | $(LUA_STAMP)
$(SQLITE_AMALG)/sqlite3.c: $(SQLITE_STAMP)
	@echo "  SQLITE  amalgamation (log: $(SQLITE_AMALG).log)"
	@rm -rf $(@D) && mkdir -p $(@D)
	@(cd $(@D) && $(SQLITE_SRC)/configure --disable-tcl --disable-readline CC="$(HOSTCC)" && \
		$(MAKE) --no-print-directory sqlite3.c shell.c) > $(SQLITE_AMALG).log 2>&1 || \
		{ tail -30 $(SQLITE_AMALG).log; exit 1; }
$(BUILD)/sqlite/sqlite3: $(SQLITE_AMALG)/sqlite3.c
	@echo "  SQLITE  $@"
	@$(MUSL_GCC) -static -s -Os -DHAVE_USLEEP=1 -I$(SQLITE_AMALG) -o $@ $(SQLITE_AMALG)/shell.c $< -lm
$(BUILD)/rootfs/bin/sqlite3: $(BUILD)/sqlite/sqlite3 user/sqlite/sqlite3.manifest $(MANIFEST_CHECK)
	@$(call EMBED_MANIFEST,user/sqlite/sqlite3.manifest)

# The log tool checks the audit chain with the kernel's own code, and policy
# names why a capability is refused with its parser: a program's extra
# sources are LIBS_<its source>.
LIBS_user/bin/log.c := lib/logchain.c lib/sha256.c
$(BUILD)/rootfs/bin/log: UCFLAGS += -I.
$(BUILD)/rootfs/bin/log: lib/logchain.h lib/sha256.h lib/lib.h
LIBS_user/bin/policy.c := lib/policy.c lib/topic.c lib/span.c lib/fmt.c
$(BUILD)/rootfs/bin/policy: UCFLAGS += -I.
$(BUILD)/rootfs/bin/policy: lib/policy.h lib/topic.h lib/span.h lib/lib.h
# airwatch's logic is plain C, also built for the host unit tests.
LIBS_apps/airwatch.c := apps/airwatch/air.c
$(BUILD)/rootfs/apps/airwatch: apps/airwatch/air.h

# The status app (apps/status.c) and its test twin /test/statusdump share
# its parts in apps/status/: the HTTP parser, the renderer, the reading.
STATUS_LIBS := apps/status/gather.c apps/status/render.c
LIBS_apps/status.c := $(STATUS_LIBS) apps/status/http.c
LIBS_user/test/statusdump.c := $(STATUS_LIBS)
$(BUILD)/rootfs/apps/status $(BUILD)/rootfs-test/test/statusdump: $(wildcard apps/status/*.h)
$(BUILD)/rootfs-test/test/statusdump: UCFLAGS += -I.

# $(call PROGRAM_RULE,source,optios-cc options,label): one program and its manifest.
define PROGRAM_RULE
$(call program_bin,$(1)): $(1) $(wildcard $(1:.c=.manifest)) $(LIBS_$(1)) $(USER_DEPS)
	@echo "  $(3) $$<"
	@$(OPTIOS_CC_RUN) $(2) $(if $(filter $(1),$(NO_MANIFEST)),--no-manifest) -o $$@ $$< $(LIBS_$(1)) $$(UCFLAGS)
endef
$(foreach s,$(PROGRAM_SRCS),$(eval $(call PROGRAM_RULE,$(s),,MUSL   )))
$(foreach s,$(HANDLER_SRCS),$(eval $(call PROGRAM_RULE,$(s),--handler,HANDLER)))
$(BUILD)/rootfs-test/test/handlers/counter2: apps/counter.c
$(BUILD)/rootfs-test/test/handlers/storm_c $(BUILD)/rootfs-test/test/handlers/storm_l: user/test/handlers/storm.c
$(BUILD)/rootfs-test/test/handlers/sensorbatch $(BUILD)/rootfs-test/test/handlers/sensorfast $(BUILD)/rootfs-test/test/handlers/sensorten: user/test/handlers/sensorlog.c
$(BUILD)/rootfs-test/test/handlers/sensorturbo: user/test/handlers/sensorstorm.c
$(patsubst %,$(BUILD)/rootfs-test/test/probe_%,files events admin): user/test/probe.c
# A manifest edited after the build (tests/system/test_hostile.py): hostile_edit
# with its manifest section replaced by one asking for more.
TEST_BINS += $(BUILD)/rootfs-test/test/handlers/hostile_edited
$(BUILD)/rootfs-test/test/handlers/hostile_edited: $(BUILD)/rootfs-test/test/handlers/hostile_edit
	@echo "  EDIT    $@"
	@{ cat user/test/handlers/hostile_edit.manifest; echo "output file.write:/data/"; } > $(BUILD)/hostile_edited.manifest
	@$(OBJCOPY) --update-section .optios.manifest=$(BUILD)/hostile_edited.manifest $< $@.tmp
	@mv $@.tmp $@
# Damaged manifests (tests/system/test_programs.py): /test/proc_hello with its
# manifest section broken four ways - a bad line; a second section of that
# name; the file cut inside the section (section headers gone); the
# section's size reaching past the end of the file.
DAMAGED := $(patsubst %,$(BUILD)/rootfs-test/test/damaged_%,line twice cut bounds)
HELLO := $(BUILD)/rootfs-test/test/proc_hello
TEST_BINS += $(DAMAGED)
manifest_offset = $$(( 0x$$(readelf -S -W $(1) | sed -n 's/.* \.optios\.manifest *[A-Z]* *[0-9a-f]* \([0-9a-f]*\) .*/\1/p') ))
manifest_index = $$(readelf -S -W $(1) | sed -n 's/^ *\[ *\([0-9]*\)\] \.optios\.manifest .*/\1/p')
$(BUILD)/rootfs-test/test/damaged_line: $(HELLO) user/test/proc_hello.manifest
	@{ cat user/test/proc_hello.manifest; echo "frobnicate yes"; } > $(BUILD)/damaged_line.manifest
	@$(OBJCOPY) --update-section .optios.manifest=$(BUILD)/damaged_line.manifest $< $@.tmp && mv $@.tmp $@
$(BUILD)/rootfs-test/test/damaged_twice: $(HELLO)
	@$(OBJCOPY) --rename-section .comment=.optios.manifest $< $@.tmp && mv $@.tmp $@
$(BUILD)/rootfs-test/test/damaged_cut: $(HELLO)
	@head -c $$(( $(call manifest_offset,$<) + 20 )) $< > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
$(BUILD)/rootfs-test/test/damaged_bounds: $(HELLO)
	@cp $< $@.tmp && shoff=$$(readelf -h $< | sed -n 's/.*Start of section headers: *\([0-9]*\).*/\1/p') && \
	printf '\000\000\000\001\000\000\000\000' | dd of=$@.tmp bs=1 conv=notrunc status=none \
		seek=$$(( shoff + $(call manifest_index,$<) * 64 + 32 )) && mv $@.tmp $@

# $(call RENAMED_HANDLER,manifest,from,to): the handler $< as $@, its
# manifest's name (and so its topics) changed from `from` to `to`.
RENAMED_HANDLER = @sed 's/$(2)/$(3)/g' $(1) > $(BUILD)/$(3).manifest && \
	$(OBJCOPY) --update-section .optios.manifest=$(BUILD)/$(3).manifest $< $@.tmp && mv $@.tmp $@

# A timer storm (tests/system/test_sched.py): tick01..tick30 are tick with
# its manifest's name (and so its timer's topic) changed.
TICK_COPIES := $(patsubst %,$(BUILD)/rootfs-test/test/handlers/tick%,$(shell seq -w 1 30))
TEST_BINS += $(TICK_COPIES)
$(TICK_COPIES): $(BUILD)/rootfs-test/test/handlers/tick%: $(BUILD)/rootfs-test/test/handlers/tick
	$(call RENAMED_HANDLER,user/test/handlers/tick.manifest,tick,tick$*)

# nosysrun2: nosysrun under another name (and topic), a second handler making
# the same unimplemented call (tests/system/test_programs.py).
NOSYSRUN2 := $(BUILD)/rootfs-test/test/handlers/nosysrun2
TEST_BINS += $(NOSYSRUN2)
$(NOSYSRUN2): $(BUILD)/rootfs-test/test/handlers/nosysrun user/test/handlers/nosysrun.manifest
	$(call RENAMED_HANDLER,user/test/handlers/nosysrun.manifest,nosysrun,nosysrun2)

# The manifest checker optios-cc runs (tools/manifest_check.c): the kernel's
# parser, and its capability syntax for `output` lines, on the host.
MANIFEST_CHECK_SRCS := tools/manifest_check.c lib/manifest.c lib/policy.c lib/topic.c lib/span.c lib/fmt.c
$(MANIFEST_CHECK): $(MANIFEST_CHECK_SRCS) $(wildcard lib/*.h include/optios/abi/*.h)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -Iinclude -DHOST_TEST -o $@ $(MANIFEST_CHECK_SRCS)

# The policy tool: the static policy questions on an image tree, with the
# kernel's own manifest reading and lib/policy.c (tools/policy.c).
POLICY_TOOL_SRCS := tools/policy.c lib/policy.c lib/topic.c lib/span.c lib/manifest.c lib/fmt.c \
	lib/sha256.c kernel/exec/elf.c kernel/exec/identity.c
all: $(BUILD)/tools/policy
$(BUILD)/tools/policy: $(POLICY_TOOL_SRCS) $(wildcard lib/*.h kernel/exec/*.h include/optios/abi/*.h)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -Iinclude -DHOST_TEST -o $@ $(POLICY_TOOL_SRCS)

# The disk tool (tools/optios_disk.c): a store image on the host, with the
# kernel's own kernel/store code over a file.
OPTIOS_DISK_SRCS := tools/optios_disk.c $(wildcard kernel/store/*.c) kernel/block/block.c lib/logchain.c \
	lib/sha256.c lib/fmt.c
all: $(BUILD)/tools/optios-disk
$(BUILD)/tools/optios-disk: $(OPTIOS_DISK_SRCS) $(wildcard kernel/store/*.h kernel/block/*.h lib/*.h include/optios/abi/*.h)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -Iinclude -DHOST_TEST -o $@ $(OPTIOS_DISK_SRCS)

# The compat test program for the host Linux: tests/system/test_shell.py
# compares its output with OptiOS's. The same static binary runs on both.
all: $(BUILD)/host-compat
$(BUILD)/host-compat: $(call program_bin,user/test/compat.c)
	@cp $< $@

# $(call CPIO,tree,image): the tree as a newc archive, replaced only when it
# changed. Every file's time is set to IMAGE_EPOCH (the last commit's, as
# SOURCE_DATE_EPOCH does for reproducible builds) and inodes are numbered in
# order (--reproducible), so that a tree copied afresh with the same contents
# gives the same archive and nothing downstream is rebuilt.
IMAGE_EPOCH ?= $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null),0)
CPIO = find $(1) -exec touch -h -d @$(IMAGE_EPOCH) {} + && \
	(cd $(1) && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) > $(2).tmp && \
	{ cmp -s $(2).tmp $(2) && rm $(2).tmp || { mv $(2).tmp $(2); echo "  CPIO    $(2)"; }; }

# The images are rebuilt when any input changes (EXTRA's contents included).
# (rm of $(BUILD)/rootfs/test: what builds of the one-image layout left there.)
$(BUILD)/rootfs.cpio: $(USER_BINS) $(BUILD)/busybox/applets $(ROOTFS_FILES) $(if $(EXTRA),$(shell find $(EXTRA) 2>/dev/null)) FORCE
	@rm -rf $(BUILD)/rootfs.tree $(BUILD)/rootfs/test && mkdir -p $(BUILD)/rootfs.tree
	@cp -R rootfs/. $(BUILD)/rootfs/. $(BUILD)/rootfs.tree/
	@$(call BB_LINKS,$(BUILD)/rootfs.tree)
	@$(if $(EXTRA),cp -R $(EXTRA)/. $(BUILD)/rootfs.tree/)
	@find $(BUILD)/rootfs.tree -name .keep -delete
	@$(call CPIO,$(BUILD)/rootfs.tree,$@)

$(BUILD)/rootfs-test.cpio: $(BUILD)/rootfs.cpio $(TEST_BINS) $(TEST_ROOTFS_FILES) FORCE
	@rm -rf $(BUILD)/rootfs-test.tree && mkdir -p $(BUILD)/rootfs-test.tree # tar keeps the hard links
	@(cd $(BUILD)/rootfs.tree && tar cf - .) | (cd $(BUILD)/rootfs-test.tree && tar xf -)
	@rm $(BUILD)/rootfs-test.tree/etc/handlers.d/demo # counter's timer: rootfs/etc/handlers.d/demo says why
	@cp -R $(BUILD)/rootfs-test/. tests/rootfs/. $(BUILD)/rootfs-test.tree/
	@$(call CPIO,$(BUILD)/rootfs-test.tree,$@)

# $(call ISO,dir,image,iso): a hybrid BIOS/UEFI ISO of the kernel and image.
ISO = rm -rf $(1) && mkdir -p $(1)/boot/grub && cp $(BUILD)/kernel.elf $(1)/boot/kernel.elf && \
	cp $(2) $(1)/boot/rootfs.cpio && cp tools/iso/grub.cfg $(1)/boot/grub/grub.cfg && \
	{ $(GRUB_MKRESCUE) -o $(3) $(1) 2> $(1).log || { cat $(1).log; exit 1; }; }

$(BUILD)/optios.iso: $(BUILD)/kernel.elf $(BUILD)/rootfs.cpio tools/iso/grub.cfg
	@echo "  ISO     $@"
	@$(call ISO,$(BUILD)/iso,$(BUILD)/rootfs.cpio,$@)

# The ISO the tests boot: the test image.
$(BUILD)/optios-test.iso: $(BUILD)/kernel.elf $(BUILD)/rootfs-test.cpio tools/iso/grub.cfg
	@echo "  ISO     $@"
	@$(call ISO,$(BUILD)/iso-test,$(BUILD)/rootfs-test.cpio,$@)

# The test ISO with optios.test=all on GRUB's command line: the self-tests
# under real firmware (SeaBIOS, OVMF) with a framebuffer.
$(BUILD)/optios-selftest.iso: $(BUILD)/optios-test.iso
	@echo "  ISO     $@"
	@rm -rf $(BUILD)/iso-selftest && cp -R $(BUILD)/iso-test $(BUILD)/iso-selftest
	@sed -i 's|optios.boot=iso|optios.boot=iso optios.test=all|' $(BUILD)/iso-selftest/boot/grub/grub.cfg
	@grep -q 'optios.test=all' $(BUILD)/iso-selftest/boot/grub/grub.cfg
	@$(GRUB_MKRESCUE) -o $@ $(BUILD)/iso-selftest 2> $(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }

# What the tests boot and read: `all` makes the test image and ISO too (so
# tests/run.py after `make all` boots what the sources say), `make test` also
# the self-test ISO.
all: $(BUILD)/rootfs-test.cpio $(BUILD)/optios-test.iso
TEST_IMAGES := $(BUILD)/rootfs-test.cpio $(BUILD)/optios-test.iso $(BUILD)/optios-selftest.iso

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
# real manifest added the way sdk/bin/optios-cc embeds one.
$(HOST_DATA)/musl_nomanifest.elf: $(HOST_DATA)/musl_static.elf
	$(OBJCOPY) --rename-section .optios.manifest=.old.manifest $< $@

$(HOST_DATA)/musl_manifest.elf: $(HOST_DATA)/musl_nomanifest.elf tests/host/data/hello.manifest
	$(OBJCOPY) --add-section .optios.manifest=tests/host/data/hello.manifest \
		--set-section-flags .optios.manifest=noload,readonly $< $@.tmp && mv $@.tmp $@

$(HOST_DATA)/tree.cpio: tests/host/data/mktree.sh $(shell find tests/host/data/tree -type f)
	@mkdir -p $(@D)
	tests/host/data/mktree.sh tests/host/data/tree $(HOST_DATA)/tree $@

test-host: $(BUILD)/host/unit
	$(BUILD)/host/unit

# The store's whole power-cut campaign on the simulated disk (the unit run
# checks a slice): every workload of up to 3 operations, a cut at every
# write, every subset of the unflushed writes and their tears.
crashtest-host: $(BUILD)/host/unit
	STORE_CRASH_FULL=1 $(BUILD)/host/unit store_power_cut_at_every_write_of_every_short_workload \
		store_power_cut_campaign_on_4096_byte_sectors store_power_cut_during_long_random_workloads \
		store_power_cut_while_reclaiming_a_nearly_full_disk

# The QEMU power-cut campaign (tests/system/test_crash.py): 1,000 SIGKILLs of
# a machine running handlers and an fsync'ing writer, each boot checked; make
# test makes 20. CUTS=N for another count.
CUTS ?= 1000
crashtest: all $(TEST_IMAGES)
	@rm -f $(BUILD)/crashtest.txt
	OPTIOS_CUTS=$(CUTS) $(PYTHON) tests/run.py --build $(BUILD) -k system/crash.power_cut_campaign
	@cat $(BUILD)/crashtest.txt

# ---- fuzzing: libFuzzer targets for the parsers of hostile input (clang) ----
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_TARGETS := elf cpio path conf manifest policy store net sensor http
FUZZ_LIB_SRCS := kernel/exec/elf.c kernel/fs/cpio.c kernel/fs/path.c kernel/conf/conf.c lib/fmt.c lib/manifest.c lib/topic.c lib/span.c lib/policy.c lib/sensor_frame.c \
	lib/logchain.c lib/sha256.c \
	$(wildcard kernel/store/*.c) kernel/block/block.c apps/status/http.c
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -I. -Iinclude -DHOST_TEST
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_SRCS) $(wildcard kernel/*/*.h kernel/conf/*.def lib/*.h apps/*/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS)

# The receive path (tests/fuzz/fuzz_net.c): kernel/net, lwIP's port and lwIP
# itself built for the host, lwIP's assertions on (KDEBUG); lwIP's own
# sources without -Werror (their warnings are not ours to fix). Checksums
# are not checked here (the kernel checks them): random frames reach past
# them into every protocol's state.
FUZZ_LWIP_FLAGS := -DKDEBUG -DCHECKSUM_CHECK_IP=0 -DCHECKSUM_CHECK_UDP=0 -DCHECKSUM_CHECK_TCP=0 \
	-DCHECKSUM_CHECK_ICMP=0
FUZZ_NET_SRCS := kernel/net/net.c kernel/inet/inet.c kernel/inet/endpoints.c kernel/inet/tcp.c kernel/inet/timers.c \
	kernel/inet/port.c kernel/conf/conf.c lib/fmt.c
FUZZ_LWIP_OBJS = $(patsubst %,$(BUILD)/fuzz/lwip/%.o,$(LWIP_SRCS))
$(BUILD)/fuzz/lwip/%.c.o: $(LWIP_STAMP) $(wildcard kernel/inet/port/*.h kernel/inet/port/*/*.h) Makefile
	@mkdir -p $(@D)
	@$(FUZZ_CC) $(filter-out -Werror,$(FUZZ_CFLAGS)) $(FUZZ_LWIP_FLAGS) $(LWIP_INC) -w -c $(LWIP_DIR)/src/$*.c -o $@

$(BUILD)/fuzz/fuzz_net: tests/fuzz/fuzz_net.c tests/fuzz/fuzz.h $(FUZZ_NET_SRCS) $(FUZZ_LWIP_OBJS) \
		$(wildcard kernel/net/*.h kernel/inet/*.h kernel/conf/*.def)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -Iarch/x86_64 $(FUZZ_LWIP_FLAGS) $(LWIP_INC) -o $@ $< $(FUZZ_NET_SRCS) $(FUZZ_LWIP_OBJS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# ---- running and testing ----
deps:
	@tools/check-deps.sh

# `make run` is a machine a user drives: `reboot` reboots (no -no-reboot;
# the test harness adds it itself), and QMP listens on $(BUILD)/qmp.sock
# (tools/qemu-screen.py takes screenshots and types through it).
QMP_SOCK := $(BUILD)/qmp.sock
QEMU_RUN_ARGS := -m 256M -device isa-debug-exit,iobase=0xf4,iosize=0x04 -device pvpanic \
	-qmp unix:$(QMP_SOCK),server=on,wait=off

# The disk: $(DISK), a raw image attached as virtio-blk (vda), or as NVMe
# (nvme0n1) with DISK_IF=nvme, created sparse (DISK_SIZE) on first use and
# kept from run to run.
DISK ?= $(BUILD)/disk.img
DISK_SIZE ?= 64M
DISK_IF ?= virtio
DISK_DEVICE_virtio := virtio-blk-pci,drive=disk0
DISK_DEVICE_nvme := nvme,drive=disk0,serial=optios0
QEMU_RUN_ARGS += -drive file=$(DISK),format=raw,if=none,id=disk0,cache=writeback \
	-device $(or $(DISK_DEVICE_$(DISK_IF)),$(error DISK_IF=$(DISK_IF): virtio or nvme))

# The network: QEMU user networking (the guest gets 10.0.2.15 by DHCP, the
# host is 10.0.2.2, DNS 10.0.2.3; docs/NETWORK.md) on a virtio-net device,
# or an Intel e1000 with NET_IF=e1000; NET_IF=none for no network device.
# Host ports forwarded to the guest's handlers, on the host's loopback only:
# STATUS_PORT to the status page (TCP 80), ECHO_PORT to echo (TCP and UDP 7).
NET_IF ?= virtio
STATUS_PORT ?= 8080
ECHO_PORT ?= 7007
NET_DEVICE_virtio := virtio-net-pci
NET_DEVICE_e1000 := e1000
NET_FORWARDS := hostfwd=tcp:127.0.0.1:$(STATUS_PORT)-:80,hostfwd=tcp:127.0.0.1:$(ECHO_PORT)-:7,$\
	hostfwd=udp:127.0.0.1:$(ECHO_PORT)-:7
QEMU_RUN_ARGS += $(if $(filter none,$(NET_IF)),-nic none,-netdev user,id=net0,$(NET_FORWARDS) \
	-device $(or $(NET_DEVICE_$(NET_IF)),$(error NET_IF=$(NET_IF): virtio, e1000 or none)),netdev=net0)

# The sensors (docs/SENSORS.md): COM2 and COM3 are QEMU socket chardevs in
# $(SENSOR_DIR) (so the ports /etc/sensors.conf names are there, silent);
# with SENSORS=1 tools/sensor-emu.py plays an MH-Z19B (CO2) and a PMS5003
# (particulate matter) on them; its control file sets the values
# (echo 'co2 2500' >> $(SENSOR_DIR)/control). The serial ports follow the
# console's -serial, so they are given after it.
SENSORS ?=
SENSOR_DIR := $(BUILD)/sensors
SENSOR_ARGS := $(foreach p,com2 com3,-chardev socket,id=$(p),path=$(SENSOR_DIR)/$(p).sock,server=on,wait=off -serial chardev:$(p))
SENSOR_START := mkdir -p $(SENSOR_DIR) && rm -f $(SENSOR_DIR)/com2.sock $(SENSOR_DIR)/com3.sock && \
	$(if $(SENSORS),{ $(PYTHON) tools/sensor-emu.py --co2 $(SENSOR_DIR)/com2.sock --dust $(SENSOR_DIR)/com3.sock \
	--control $(SENSOR_DIR)/control --log $(SENSOR_DIR)/emu.log & emu=$$!; trap 'kill $$emu 2>/dev/null' EXIT; } && \
	echo "OptiOS: sensors: MH-Z19B on COM2 and PMS5003 on COM3 (tools/sensor-emu.py; values: echo 'co2 2500' >> $(SENSOR_DIR)/control; log: $(SENSOR_DIR)/emu.log)" &&, \
	echo "OptiOS: sensors: COM2 and COM3 are sockets in $(SENSOR_DIR), nothing on them (SENSORS=1: emulators)" &&)

run: deps $(BUILD)/optios.iso
	@if [ ! -e "$(DISK)" ]; then \
		mkdir -p "$$(dirname "$(DISK)")" && truncate -s $(DISK_SIZE) "$(DISK)" && \
		echo "OptiOS: created $(DISK) ($(DISK_SIZE), empty)"; \
	fi
	@echo "OptiOS: disk $(DISK) (start fresh: rm $(DISK), or make run DISK=another.img)"
	@echo "OptiOS: network $(NET_IF) (QEMU user networking: the guest is 10.0.2.15, the host 10.0.2.2; NET_IF=e1000|none)"
	@if [ "$(NET_IF)" != none ]; then \
		echo "OptiOS: status page: http://localhost:$(STATUS_PORT)/ (JSON: /status.json; STATUS_PORT=N for another port)"; \
		echo "OptiOS: echo: TCP and UDP localhost:$(ECHO_PORT), e.g. nc -u localhost $(ECHO_PORT) (ECHO_PORT=N)"; \
	fi
	@$(SENSOR_START) if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "OptiOS: QEMU window + serial console here (Ctrl+A X quits; QMP: $(QMP_SOCK))"; \
		$(QEMU) -cdrom $(BUILD)/optios.iso $(QEMU_RUN_ARGS) -serial mon:stdio $(SENSOR_ARGS); \
	else \
		echo "OptiOS: serial console (no display found; Ctrl+A X quits; QMP: $(QMP_SOCK))"; \
		$(QEMU) -cdrom $(BUILD)/optios.iso $(QEMU_RUN_ARGS) -display none -serial mon:stdio $(SENSOR_ARGS); \
	fi

# The build's output goes to a log (shown only if the build fails), so the
# test results - and their "N passed, M failed" last line - stand alone.
# Options for tests/run.py: make test TEST_ARGS="-k boot --only system"
test: deps
	@mkdir -p $(BUILD)
	@echo "  BUILD   kernel, images, ISOs, host tests (log: $(BUILD)/build.log)"
	@$(MAKE) --no-print-directory all $(TEST_IMAGES) $(BUILD)/host/unit fuzz-build > $(BUILD)/build.log 2>&1 || \
		{ cat $(BUILD)/build.log; echo "build failed"; exit 1; }
	@$(PYTHON) tests/run.py --build $(BUILD) $(TEST_ARGS)

# The handler benchmark (tools/bench.py): deterministic figures under -icount,
# a table and $(BUILD)/bench.json. Not part of make test.
bench: $(BUILD)/kernel.elf $(BUILD)/rootfs-test.cpio $(BUILD)/tools/optios-disk $(BUILD)/tools/netcount.so
	@$(PYTHON) tools/bench.py --build $(BUILD)

# A per-function profile of the measurement behind one bench figure
# (tools/profile.py: two boots, the second under the itrace QEMU plugin,
# counting the instructions between the log records the figure spans).
# KEY: a bench key (default the durable cycle); TREE=N adds a call tree.
KEY ?= durable_cycle_1page_instructions
$(BUILD)/tools/itrace.so: tools/profile/itrace.c tools/profile/qp.h
	@mkdir -p $(@D)
	$(HOSTCC) -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -o $@ $<
$(BUILD)/tools/netcount.so: tools/profile/netcount.c tools/profile/qp.h
	@mkdir -p $(@D)
	$(HOSTCC) -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -pthread -o $@ $<
profile: $(BUILD)/kernel.elf $(BUILD)/rootfs-test.cpio $(BUILD)/tools/itrace.so
	@$(PYTHON) tools/profile.py --build $(BUILD) $(if $(TREE),--tree $(TREE)) $(KEY)

# BusyBox's testsuite/runtest with the image's binary, on the host and on
# OptiOS (tools/busybox-test.py). Not part of make test: minutes long.
busybox-test: $(BUILD)/kernel.elf $(BUILD)/rootfs-test.cpio
	@$(PYTHON) tools/busybox-test.py --build $(abspath $(BUILD))

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
