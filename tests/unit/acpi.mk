# SPDX-License-Identifier: GPL-2.0
#
# acpi_test: vmctl's ACPI tables (acpi.c), the DSDT its devices write with
# the AML writer (aml.c: the PM's \_S5, the RTC, fw_cfg, COM1, the PCI host
# bridge), and the ACPI PM device and timer (pm.c). Included by the Makefile beside it.

# Included before the Makefile's first rule: keep "all" the default goal.
acpi_saved_goal := $(.DEFAULT_GOAL)

VMCTL_TESTS += acpi_test

ACPI_TEST_SRCS := acpi_test.c tap.c $(VMCTL)/acpi/acpi.c $(VMCTL)/acpi/aml.c \
		  $(VMCTL)/hw/pm.c $(VMCTL)/hw/serial.c $(VMCTL)/hw/uart.c \
		  $(VMCTL)/hw/rtc.c $(VMCTL)/core/timer_thread.c $(VMCTL)/hw/fw_cfg.c \
		  $(VMCTL)/pci/pci.c $(VMCTL)/pci/msix.c $(VMCTL)/pci/msi.c $(VMCTL)/core/bus.c
ACPI_TEST_HDRS := unit.h $(VMCTL)/acpi/acpi.h $(VMCTL)/acpi/aml.h \
		  $(VMCTL)/hw/pm.h $(VMCTL)/hw/serial.h $(VMCTL)/pci/pci.h \
		  $(VMCTL)/hw/rtc.h $(VMCTL)/hw/fw_cfg.h \
		  $(VMCTL)/pci/msix.h $(VMCTL)/core/vm.h $(VMCTL)/core/bus.h \
		  $(TOP)/uapi/linux/hvx.h

$(O)/acpi_test: $(ACPI_TEST_SRCS) $(ACPI_TEST_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(ACPI_TEST_SRCS)

.DEFAULT_GOAL := $(acpi_saved_goal)
