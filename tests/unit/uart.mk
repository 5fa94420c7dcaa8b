# SPDX-License-Identifier: GPL-2.0
#
# vmctl's COM1: the 16550A model (uart.c), the console's escape parser and
# thread (console.c) and the port that joins them (serial.c) on a real
# bus map (bus.c), the VM's interrupt line replaced by a fake in the test.
VMCTL_TESTS += uart_test

UART_SRCS := uart_test.c tap.c $(VMCTL)/hw/uart.c $(VMCTL)/core/console.c \
	     $(VMCTL)/hw/serial.c $(VMCTL)/core/bus.c $(VMCTL)/acpi/aml.c
UART_HDRS := unit.h $(VMCTL)/hw/uart.h $(VMCTL)/core/console.h \
	     $(VMCTL)/hw/serial.h $(VMCTL)/core/vm.h $(VMCTL)/core/bus.h \
	     $(TOP)/uapi/linux/hvx.h

$(O)/uart_test: $(UART_SRCS) $(UART_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(UART_SRCS) -lpthread
