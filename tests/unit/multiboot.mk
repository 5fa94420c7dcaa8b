# SPDX-License-Identifier: GPL-2.0
#
# vmctl's Multiboot 1 loader (userspace/vmctl/loader_multiboot.c), tested
# without /dev/hvx, and the real Multiboot guest tests/guests/multiboot_hello
# it loads, built here into $(O) for the test.

# A rule here would become make's default goal, since this file is
# included before "all:": put the default back as it was.
multiboot_saved_goal := $(.DEFAULT_GOAL)

VMCTL_TESTS += multiboot_test

LD          ?= ld
MB_GUEST    := $(TOP)/tests/guests/multiboot_hello
# loader_linux.c too: the memory map and the entry segments are shared.
MB_SRCS     := multiboot_test.c tap.c vmctl_fixture.c \
	       $(VMCTL)/boot/loader_multiboot.c $(VMCTL)/boot/loader_linux.c \
	       $(VMCTL)/boot/loader_vmlinux.c \
	       $(VMCTL)/boot/image_file.c
MB_HDRS     := unit.h vmctl_fixture.h $(VMCTL)/core/vm.h $(VMCTL)/boot/boot_params.h \
	       $(VMCTL)/boot/loader_multiboot.h $(VMCTL)/boot/image_file.h \
	       $(TOP)/uapi/linux/hvx.h

$(O)/multiboot_hello.elf: $(MB_GUEST).S $(MB_GUEST).ld
	@mkdir -p $(O)
	$(CC) -m32 -ffreestanding -nostdlib -c -o $(O)/multiboot_hello.o $(MB_GUEST).S
	$(LD) -m elf_i386 -T $(MB_GUEST).ld -o $@ $(O)/multiboot_hello.o

# The test finds the guest at the path compiled in, or at its argument.
$(O)/multiboot_test: $(MB_SRCS) $(MB_HDRS) $(O)/multiboot_hello.elf
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -DMULTIBOOT_HELLO='"$(O)/multiboot_hello.elf"' \
		-DMB_BZIMAGE='"$(LINUX_KERNEL)"' -o $@ $(MB_SRCS)

.DEFAULT_GOAL := $(multiboot_saved_goal)
