# SPDX-License-Identifier: GPL-2.0
#
# vmctl's COM1: the 16550A model (uart.c), the console's escape parser and
# thread (console.c) and the glue between them (dev_serial.c), the VM
# replaced by fakes in the test.
VMCTL_TESTS += uart_test

UART_SRCS := uart_test.c tap.c $(VMCTL)/uart.c $(VMCTL)/console.c \
	     $(VMCTL)/dev_serial.c
UART_HDRS := unit.h $(VMCTL)/uart.h $(VMCTL)/console.h $(VMCTL)/serial.h \
	     $(VMCTL)/vm.h $(TOP)/uapi/linux/hvx.h

$(O)/uart_test: $(UART_SRCS) $(UART_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(UART_SRCS) -lpthread
