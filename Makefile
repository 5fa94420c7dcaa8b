# SPDX-License-Identifier: GPL-2.0
#
# hvx top-level build.
#   make          module + vmctl + selftests
#   make deps     install the Debian packages that build, testbed and tests use
#   make demo     the main job, in the Bochs testbed (no VT-x needed here)
#   make check    every test, host and testbed; ends with "N passed, N failed"

BUILD     := build
# The kernel the module is built for: the running kernel's build tree where
# there is one, otherwise the newest installed Debian linux-headers (not the
# PREEMPT_RT ones: KDIR_RT is for those, see module-rt).
KDIR      ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		$(shell ls -d /lib/modules/*-amd64/build 2>/dev/null | \
			grep -v -- '-rt-amd64/build$$' | sort -V | tail -n1))
KDIR_RT   ?= $(shell ls -d /lib/modules/*-rt-amd64/build 2>/dev/null | sort -V | tail -n1)
LINUX_SRC := $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))

DEB_PKGS  := gcc make libc6-dev kmod cpio xz-utils \
	     linux-image-amd64 linux-headers-amd64 linux-source-6.1 \
	     linux-image-rt-amd64 linux-headers-rt-amd64 \
	     bochs bochsbios vgabios busybox-static \
	     isolinux syslinux-common xorriso acpica-tools e2fsprogs \
	     pkg-config libnl-3-dev libnl-route-3-dev libbpf-dev libelf-dev \
	     zlib1g-dev clang llvm bpftool iproute2 util-linux \
	     corosync libcpg-dev libvotequorum-dev libcmap-dev \
	     qemu-system-x86 seabios
# QEMU+KVM is the reference: the test kernels run under it in make check;
# make bench also boots the Linux guest there, with fio and iperf3.
BENCH_PKGS := fio iperf3

# User space is linked statically: the testbed initramfs has no libc.
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	       -Iuapi $(EXTRA_CFLAGS)
TEST_CFLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Werror \
	       -Iuapi -Itests/selftests/include -I$(BUILD)/kselftest
LDFLAGS_STATIC := -static

SELFTESTS  := api_test load_test novmx_test kvm_probe guest_smoke_test state_test \
	      exits_test memory_test run_loop_test isolation_test stress_test \
	      irqchip_test poweroff_with_vms hostile_test fuzz_test eventfd_test
TEST_LIB   := $(wildcard tests/selftests/lib/*.c)
TEST_HDRS  := $(wildcard tests/selftests/include/*.h) uapi/linux/hvx.h \
	      $(BUILD)/kselftest/kselftest_harness.h

# vmctl is phony: its own Makefile knows when to rebuild.
.PHONY: all module module-rt vmctl hvxd selftests guests tools deps check demo demo-ha bench lint clean

# The PREEMPT_RT build only where its headers are installed (make deps does).
all: module vmctl hvxd selftests guests tools $(if $(KDIR_RT),module-rt)

module:
	@test -d "$(KDIR)" || { echo "no kernel build tree: run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# The same module for Debian's PREEMPT_RT kernel (the testbed's vmx-rt boot):
# built in a copy of the sources, $(BUILD)/rt/kmod/hvx.ko, so that the objects
# of the normal build in kmod/ stay as they are. cp -p keeps the sources'
# times, so kbuild rebuilds only what changed.
RT_SRCS := Kbuild kmod/Kbuild uapi/linux/hvx.h \
	   $(filter-out %.mod.c,$(wildcard kmod/*.c)) $(wildcard kmod/*.h kmod/*.S)
module-rt:
	@test -d "$(KDIR_RT)" || { echo "no PREEMPT_RT kernel build tree: run 'make deps'" >&2; exit 1; }
	@mkdir -p $(BUILD)/rt
	cp -p --parents $(RT_SRCS) $(BUILD)/rt/
	$(MAKE) -C $(KDIR_RT) M=$(CURDIR)/$(BUILD)/rt W=1 modules

# The testbed's own tools, static like the selftests: seqpacket sends hvxd's
# control socket what vmctl never would.
tools: $(BUILD)/tools/seqpacket
$(BUILD)/tools/%: tests/testbed/%.c
	@mkdir -p $(BUILD)/tools
	$(CC) $(USER_CFLAGS) -o $@ $< $(LDFLAGS_STATIC)

# vmctl has a Makefile of its own (objects, dependency files, pkg-config).
vmctl:
	$(MAKE) -C userspace/vmctl O=$(CURDIR)/$(BUILD)/obj/vmctl OUT=$(CURDIR)/$(BUILD)/vmctl

# hvxd, the cluster daemon: corosync's client libraries, linked dynamically.
hvxd:
	$(MAKE) -C userspace/hvxd O=$(CURDIR)/$(BUILD)/obj/hvxd OUT=$(CURDIR)/$(BUILD)/hvxd

selftests: $(addprefix $(BUILD)/selftests/,$(SELFTESTS)) $(BUILD)/selftests/exit_bench
EXIT_BENCH_SRCS := $(addprefix tests/bench/,exit_bench.c apic_bench.c long_mode.c \
	hv_hvx.c hv_kvm.c bench_guests.S bench_guests64.S)
$(BUILD)/selftests/exit_bench: $(EXIT_BENCH_SRCS) tests/bench/bench.h tests/bench/bench_layout.h uapi/linux/hvx.h
	@mkdir -p $(BUILD)/selftests
	$(CC) $(TEST_CFLAGS) -o $@ $(EXIT_BENCH_SRCS) $(LDFLAGS_STATIC) -lpthread
$(BUILD)/selftests/%: tests/selftests/%.c $(TEST_LIB) $(TEST_HDRS)
	@mkdir -p $(BUILD)/selftests
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LIB) $(LDFLAGS_STATIC) -lpthread

# The kselftest harness and checkpatch come from Debian's kernel source.
$(BUILD)/kselftest/kselftest_harness.h $(BUILD)/linux/scripts/checkpatch.pl:
	@test -n "$(LINUX_SRC)" || { echo "no /usr/src/linux-source-*.tar.xz: run 'make deps'" >&2; exit 1; }
	@mkdir -p $(BUILD)/kselftest $(BUILD)/linux
	tar -xJf $(LINUX_SRC) -C $(BUILD)/linux --strip-components=1 \
		--wildcards '*/tools/testing/selftests/kselftest*.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	cp $(BUILD)/linux/tools/testing/selftests/kselftest*.h $(BUILD)/kselftest/
	touch $(BUILD)/kselftest/kselftest_harness.h $(BUILD)/linux/scripts/checkpatch.pl

deps:
	@missing=$$(for p in $(DEB_PKGS) $(EXTRA_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo "deps: all installed"; fi

# checkpatch misreads the "%l[label]" operands of asm goto inside
# _ASM_EXTABLE() as arithmetic (KVM's vmx_ops.h draws the same complaint),
# so the files holding VMX instruction wrappers skip the SPACING check only.
KSRCS      := $(filter-out %.mod.c,$(wildcard kmod/*.c)) uapi/linux/hvx.h \
	      $(filter-out kmod/vmx_ops.h,$(wildcard kmod/*.h))
CHECKPATCH := $(BUILD)/linux/scripts/checkpatch.pl --no-tree --quiet --strict -f
lint: $(BUILD)/linux/scripts/checkpatch.pl
	$(CHECKPATCH) $(KSRCS)
	$(CHECKPATCH) --ignore SPACING kmod/vmx_ops.h

check: deps
	tests/run_check.sh

# One long testbed boot: the fuzzer for an hour of guest time, then the
# stress tests (tests/testbed/soak.sh; SOAK_SECONDS, SOAK_TESTS override).
.PHONY: soak
soak: deps all
	tests/testbed/soak.sh

demo: deps all
	tests/testbed/demo.sh

# Only the demo's failover (a few minutes instead of half an hour).
demo-ha: deps all
	HVX_DEMO_PARTS=ha tests/testbed/demo.sh

# hvx against KVM, same guest code, same testbed boot; prints the ratios.
bench: deps all
	$(MAKE) deps EXTRA_PKGS="$(BENCH_PKGS)"
	tests/bench/run.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)

# Guest images for vmctl and the demo: flat binaries from assembly, and
# the test kernels (tests/guests/tk/tk.h): each tk/NAME.c a Multiboot
# kernel tk_NAME.elf, linked with the library (entry.S, lib.c) by tk.ld.
TK_KERNELS := cpu apic smp boot platform mmio
TK_ELFS    := $(patsubst %,$(BUILD)/guests/tk_%.elf,$(TK_KERNELS))
GUESTS := $(BUILD)/guests/hello16.bin $(BUILD)/guests/exit16.bin \
	  $(BUILD)/guests/multiboot_hello.elf \
	  $(BUILD)/guests/virtio_hostile.elf $(BUILD)/guests/ha_heartbeat.elf \
	  $(BUILD)/guests/linux-initrd.gz $(TK_ELFS) $(BUILD)/guests/memtouch.elf
guests: $(GUESTS) $(BUILD)/vmlinux
# The testbed's kernel uncompressed: the Linux guests of the testbed boot
# it as a vmlinux (not in $(BUILD)/guests, which every testbed boot holds).
$(BUILD)/vmlinux: tests/testbed/extract_vmlinux.sh $(wildcard /boot/vmlinuz-*)
	tests/testbed/extract_vmlinux.sh $@
# Freestanding 32-bit C guests: no SSE (CR4.OSFXSR is off in a Multiboot
# kernel), no stack protector or unwind tables (no runtime to back them).
GUEST_CFLAGS := -m32 -ffreestanding -nostdlib -fno-pic -fno-stack-protector \
		-fno-asynchronous-unwind-tables -mgeneral-regs-only -O2 \
		-Wall -Wextra -Werror
# The C guests, each NAME.c with its entry NAME_entry.S, all laid out by
# virtio_hostile.ld: the hostile virtio-blk driver
# (tests/testbed/virtio_hostile_test.sh) and the heartbeat guest of the
# high-availability tests. They share the headers of tests/guests/; a
# guest of more C files than NAME.c names the others as prerequisites
# here, and they are linked after NAME.o.
GUEST_HDRS := $(wildcard tests/guests/*.h)
$(BUILD)/guests/ha_heartbeat.elf: tests/guests/ha_disk.c
$(BUILD)/guests/%.elf: tests/guests/%.c tests/guests/%_entry.S tests/guests/virtio_hostile.ld \
		      $(GUEST_HDRS)
	@mkdir -p $(BUILD)/guests
	for c in $(filter %.c,$^); do \
		$(CC) $(GUEST_CFLAGS) -c -o $(BUILD)/guests/$$(basename $$c .c).o $$c || exit; \
	done
	$(CC) -m32 -ffreestanding -nostdlib -c -o $(BUILD)/guests/$*_entry.o \
		tests/guests/$*_entry.S
	ld -m elf_i386 -T tests/guests/virtio_hostile.ld -o $@ $(BUILD)/guests/$*_entry.o \
		$(patsubst tests/guests/%.c,$(BUILD)/guests/%.o,$(filter %.c,$^))
TK_LIB     := $(BUILD)/guests/tk/entry.o $(BUILD)/guests/tk/lib.o
TK_BASE    := 0x100000
$(BUILD)/guests/tk/%.o: tests/guests/tk/%.c tests/guests/tk/tk.h tests/guests/guest.h
	@mkdir -p $(BUILD)/guests/tk
	$(CC) $(GUEST_CFLAGS) -Wno-unused-parameter -c -o $@ $<
$(BUILD)/guests/tk/entry.o: tests/guests/tk/entry.S
	@mkdir -p $(BUILD)/guests/tk
	$(CC) -m32 -ffreestanding -nostdlib -c -o $@ $<
.SECONDARY: $(TK_LIB)
$(BUILD)/guests/tk_%.elf: $(BUILD)/guests/tk/%.o $(TK_LIB) tests/guests/tk/tk.ld
	ld -m elf_i386 -T tests/guests/tk/tk.ld --defsym TK_BASE=$(TK_BASE) -o $@ $(TK_LIB) $<
# memtouch, the memory tests' guest, uses the library but is not a test
# kernel of tk_test.sh (which runs every tk_*.elf).
$(BUILD)/guests/memtouch.elf: $(BUILD)/guests/tk/memtouch.o $(TK_LIB) tests/guests/tk/tk.ld
	ld -m elf_i386 -T tests/guests/tk/tk.ld --defsym TK_BASE=$(TK_BASE) -o $@ $(TK_LIB) $<
# tk_boot is linked low: the loader must move its structures out of the way.
$(BUILD)/guests/tk_boot.elf: TK_BASE := 0x8000
# The initrd of the Linux guest that vmctl boots in the testbed.
$(BUILD)/guests/linux-initrd.gz: tests/guests/linux/init tests/guests/linux/disktool.sh \
		tests/testbed/mkguestinitrd.sh tests/testbed/common.sh
	@mkdir -p $(BUILD)/guests
	tests/testbed/mkguestinitrd.sh $@
$(BUILD)/guests/multiboot_hello.elf: tests/guests/multiboot_hello.S tests/guests/multiboot_hello.ld
	@mkdir -p $(BUILD)/guests
	$(CC) -m32 -ffreestanding -nostdlib -c -o $(BUILD)/guests/multiboot_hello.o $<
	ld -m elf_i386 -T tests/guests/multiboot_hello.ld -o $@ $(BUILD)/guests/multiboot_hello.o
$(BUILD)/guests/%.bin: tests/guests/%.S
	@mkdir -p $(BUILD)/guests
	$(CC) -c -m32 -nostdlib -o $(BUILD)/guests/$*.o $<
	ld -m elf_i386 -Ttext=0x7c00 -e _start -o $(BUILD)/guests/$*.elf $(BUILD)/guests/$*.o
	objcopy -O binary -j .text $(BUILD)/guests/$*.elf $@
