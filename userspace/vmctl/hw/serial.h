/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PC serial port: the 16550A of uart.c on eight I/O ports and an ISA
 * IRQ (COM1: 0x3f8, IRQ 4; COM2: 0x2f8, IRQ 3). Output goes to a file
 * descriptor; input comes from whoever calls vmctl_serial_input()
 * (console.c for vmctl run).
 *
 * A port outlives the VMs it is attached to: vmctl run keeps one COM1
 * across a guest's reboots, so that the console thread always has
 * somewhere to send input. Any number of ports may exist.
 */
#ifndef VMCTL_SERIAL_H
#define VMCTL_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct vmctl_vm;
struct vmctl_serial;
struct aml;

#define VMCTL_COM1_BASE	0x3f8
#define VMCTL_COM1_IRQ	4
#define VMCTL_COM2_BASE	0x2f8
#define VMCTL_COM2_IRQ	3

/*
 * A port at @base (eight ports) on ISA IRQ @irq; what the guest transmits
 * is written to @out_fd (if writing fails, output is dropped and the guest
 * runs on). NULL with a message if out of memory.
 */
struct vmctl_serial *vmctl_serial_create(const char *name, uint16_t base,
					 unsigned int irq, int out_fd);
/* After the last detach, when no thread uses it any more. */
void vmctl_serial_free(struct vmctl_serial *s);
/* Reset the UART and put its ports on @vm's bus map. 0, or -1. */
int vmctl_serial_attach(struct vmctl_serial *s, struct vmctl_vm *vm);
/*
 * Queue @len bytes for the guest to receive, raising its interrupt.
 * Blocks while the receive FIFO is full, until the guest reads; returns
 * the number queued: @len, or fewer if vmctl_serial_detach() was called
 * meanwhile. Before the first vmctl_serial_attach() it waits for it.
 */
size_t vmctl_serial_input(struct vmctl_serial *s, const uint8_t *buf,
			  size_t len);
/*
 * Stop taking input and wake vmctl_serial_input() callers. When it
 * returns, no input is queued any more and so no interrupt is raised
 * from outside the vCPU threads: call it once the vCPUs are stopped,
 * before vmctl_vm_destroy(). Not async-signal-safe (it takes the lock).
 */
void vmctl_serial_detach(struct vmctl_serial *s);
/* Its DSDT object: Device (@name) with PNP0501, _UID @uid, ports and IRQ. */
void vmctl_serial_dsdt(struct vmctl_serial *s, struct aml *aml,
		       unsigned int uid);

#endif /* VMCTL_SERIAL_H */
