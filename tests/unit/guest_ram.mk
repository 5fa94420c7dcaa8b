# SPDX-License-Identifier: GPL-2.0
#
# vmctl's guest RAM backends (core/guest_ram.c): options, and what each
# backend maps, read back from /proc/self/smaps.
VMCTL_TESTS += guest_ram_test

GUEST_RAM_SRCS := guest_ram_test.c tap.c $(VMCTL)/core/guest_ram.c
GUEST_RAM_HDRS := unit.h $(VMCTL)/core/guest_ram.h

$(O)/guest_ram_test: $(GUEST_RAM_SRCS) $(GUEST_RAM_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(GUEST_RAM_SRCS)
