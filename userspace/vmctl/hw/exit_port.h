/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit port of test kernels (exit_port.c): QEMU's isa-debug-exit
 * convention, off unless vmctl run --exit-port asks for it.
 */
#ifndef VMCTL_EXIT_PORT_H
#define VMCTL_EXIT_PORT_H

#include <stdint.h>

struct vmctl_vm;

#define VMCTL_EXIT_PORT_DEFAULT	0xf4

struct vmctl_exit_port {
	void (*on_exit)(void *opaque, uint32_t status);
	void *opaque;
};

/*
 * A write of V to @port calls @p->on_exit(@p->opaque, (V << 1) | 1), once
 * per write; V is the access's value, 1, 2 or 4 bytes little-endian. The
 * port reads as 0. @p lives as long as the VM. 0, or -1 with a message
 * (the port is taken).
 */
int vmctl_exit_port_attach(struct vmctl_vm *vm, struct vmctl_exit_port *p,
			   uint16_t port);

#endif /* VMCTL_EXIT_PORT_H */
