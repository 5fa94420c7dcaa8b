// SPDX-License-Identifier: GPL-2.0
/*
 * COM1 as an 8250/16550 UART, transmit side: the guest writes bytes to the
 * transmitter holding register and polls the line status register, which
 * always reports the transmitter empty. Bytes go to a file descriptor.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

#define COM1_BASE	0x3f8
#define UART_THR	0	/* transmitter holding register (write) */
#define UART_LSR	5	/* line status register */
#define UART_LSR_THRE	0x20	/* transmitter holding register empty */
#define UART_LSR_TEMT	0x40	/* transmitter empty */

struct serial {
	int fd;
};

static struct serial com1;

static void serial_out(struct vmctl_vm *vm, void *opaque, uint16_t port,
		       const void *data, uint8_t size)
{
	struct serial *s = opaque;

	if (port - COM1_BASE == UART_THR && write(s->fd, data, 1) < 0)
		s->fd = -1;
}

static void serial_in(struct vmctl_vm *vm, void *opaque, uint16_t port,
		      void *data, uint8_t size)
{
	uint8_t val = port - COM1_BASE == UART_LSR ?
		      UART_LSR_THRE | UART_LSR_TEMT : 0;

	memset(data, 0, size);
	*(uint8_t *)data = val;
}

void vmctl_serial_attach(struct vmctl_vm *vm, int fd)
{
	struct vmctl_pio_dev dev = {
		.name = "com1", .base = COM1_BASE, .len = 8,
		.in = serial_in, .out = serial_out, .opaque = &com1,
	};

	com1.fd = fd;
	vmctl_vm_add_pio(vm, &dev);
}
