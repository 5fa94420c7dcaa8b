# SPDX-License-Identifier: GPL-2.0
#
# rtc_test: vmctl's CMOS RTC (hw/rtc.c): the clock registers in BCD and
# binary, 12 and 24 h, SET, UIP, register C, the update, periodic and
# alarm interrupts on a fake clock, the CMOS RAM; then the ports on a real
# bus map (bus.c) with the real clock and timer thread, vm.c's
# vmctl_vm_irq_line() replaced by a recorder in the test.
VMCTL_TESTS += rtc_test

RTC_SRCS := rtc_test.c tap.c $(VMCTL)/hw/rtc.c $(VMCTL)/core/timer_thread.c \
	    $(VMCTL)/core/bus.c $(VMCTL)/acpi/aml.c
RTC_HDRS := unit.h $(VMCTL)/hw/rtc.h $(VMCTL)/core/timer_thread.h \
	    $(VMCTL)/core/vm.h $(VMCTL)/core/bus.h \
	    $(TOP)/uapi/linux/hvx.h

$(O)/rtc_test: $(RTC_SRCS) $(RTC_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(RTC_SRCS) -lpthread
