# SPDX-License-Identifier: GPL-2.0
#
# pit_test: vmctl's 8254 PIT (hw/pit.c) on a fake clock: the counting
# rate, modes 0, 2, 3 and 4, latch and read-back, port 0x61's gate and
# OUT2, and the IRQ 0 pulses counted by a fake interrupt line.
VMCTL_TESTS += pit_test

PIT_SRCS := pit_test.c tap.c $(VMCTL)/hw/pit.c $(VMCTL)/core/timer_thread.c \
	    $(VMCTL)/core/bus.c $(VMCTL)/acpi/aml.c
PIT_HDRS := unit.h $(VMCTL)/hw/pit.h $(VMCTL)/core/timer_thread.h \
	    $(VMCTL)/core/vm.h $(VMCTL)/core/bus.h $(TOP)/uapi/linux/hvx.h

$(O)/pit_test: $(PIT_SRCS) $(PIT_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(PIT_SRCS) -lpthread
