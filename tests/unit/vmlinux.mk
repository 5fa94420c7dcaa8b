# SPDX-License-Identifier: GPL-2.0
#
# vmctl's vmlinux boot (boot/loader_vmlinux.c), through the Linux loader;
# the real case loads the testbed's kernel that make guests uncompressed.
VMCTL_TESTS += loader_vmlinux_test

VMLINUX_SRCS := loader_vmlinux_test.c tap.c vmctl_fixture.c \
		$(VMCTL)/boot/loader_linux.c $(VMCTL)/boot/loader_vmlinux.c \
		$(VMCTL)/boot/image_file.c
VMLINUX_HDRS := unit.h vmctl_fixture.h $(VMCTL)/core/vm.h $(VMCTL)/boot/boot_params.h \
		$(VMCTL)/boot/image_file.h $(TOP)/uapi/linux/hvx.h

$(O)/loader_vmlinux_test: $(VMLINUX_SRCS) $(VMLINUX_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -DREAL_VMLINUX='"$(TOP)/build/vmlinux"' -o $@ $(VMLINUX_SRCS)
