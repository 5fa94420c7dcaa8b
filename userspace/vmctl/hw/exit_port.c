// SPDX-License-Identifier: GPL-2.0
/*
 * The exit port: how a test kernel ends its VM and says how it did, as
 * under QEMU's isa-debug-exit (a write of V: exit status (V << 1) | 1, so
 * that no value the guest writes reads as vmctl's own 0). Test kernels
 * written for QEMU run unchanged; a real PC has no such port, so it is
 * there only with vmctl run --exit-port.
 */
#include <string.h>

#include "core/vm.h"
#include "hw/exit_port.h"

static void exit_port_read(void *opaque, uint64_t off, void *data,
			   unsigned int len)
{
	memset(data, 0, len);
}

static void exit_port_write(void *opaque, uint64_t off, const void *data,
			    unsigned int len)
{
	const struct vmctl_exit_port *p = opaque;
	uint32_t v = 0;

	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));	/* x86: LE */
	p->on_exit(p->opaque, v << 1 | 1);
}

static const struct vmctl_io_ops exit_port_ops = {
	.read = exit_port_read,
	.write = exit_port_write,
};

int vmctl_exit_port_attach(struct vmctl_vm *vm, struct vmctl_exit_port *p,
			   uint16_t port)
{
	return vmctl_bus_register(&vm->pio, port, 1, &exit_port_ops, p,
				  "exit-port");
}
